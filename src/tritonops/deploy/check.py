"""Load every model of a repository in an embedded Triton and smoke each one (`validate --load`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from tritonops.deploy.llm_smoke import is_llm, smoke_generate
from tritonops.deploy.smoke import (
    SmokeNotPossible,
    SmokeResult,
    served_config,
    served_versions,
    smoke_infer,
)
from tritonops.errors import ConfigParseError, DeployError, ModelLoadError
from tritonops.model_config import parse_text
from tritonops.server import LocalTriton


def repository_models(repo: Path) -> list[str]:
    """Model folders: plain models, then BLS models, then ensembles.

    So a failing step is reported as itself, and a BLS model (one whose parameters name the
    models it calls, as the TensorRT-LLM BLS does with ``*_model_name``) is smoked once the
    models it calls are loaded.
    """
    names = sorted(p.name for p in repo.iterdir() if p.is_dir() and not p.name.startswith("."))

    def rank(name: str) -> int:
        config = repo / name / "config.pbtxt"
        try:
            parsed = parse_text(config.read_text()) if config.is_file() else None
        except (ConfigParseError, OSError, UnicodeDecodeError):
            return 0  # an unreadable config fails at load; its place in the order is moot
        if parsed is None:
            return 0
        if parsed.platform == "ensemble":
            return 2
        return 1 if any(key.endswith("_model_name") for key in parsed.parameters) else 0

    return sorted(names, key=lambda n: (rank(n), n))


def load_and_smoke(
    server: LocalTriton,
    models: list[str],
    on_result: Callable[[SmokeResult], None] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> list[SmokeResult]:
    """Load each model, then smoke it; a failure is recorded and the rest carry on.

    ``overrides`` maps a model to the JSON config its load uses in place of config.pbtxt.
    """
    results = []
    for name in models:
        result = _one(server, name, (overrides or {}).get(name))
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _one(server: LocalTriton, name: str, override: str | None = None) -> SmokeResult:
    try:
        server.load(name, config=override)
    except ModelLoadError as exc:
        return SmokeResult(name, "", "FAILED", detail=exc.reason)
    versions = served_versions(server.http_url, name)
    version = max(versions, key=int) if versions else ""
    try:
        config = served_config(server.http_url, name)
        if is_llm(config):  # decoupled ones too: they stream a real generate request
            got = smoke_generate(server.grpc_url, server.http_url, config, version)
            return SmokeResult(name, version, "READY", latency_ms=got.total_ms, detail=got.detail())
        latency = smoke_infer(server.http_url, config, version)
    except SmokeNotPossible as exc:
        return SmokeResult(name, version, "SKIPPED", detail=str(exc))
    except DeployError as exc:
        return SmokeResult(name, version, "ERROR", detail=str(exc))
    return SmokeResult(name, version, "READY", latency_ms=latency)


def check_repository_loads(
    repo: Path,
    *,
    tritonserver: Path | None = None,
    load_timeout_s: float = 120.0,
    on_result: Callable[[SmokeResult], None] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> list[SmokeResult]:
    """Start an embedded Triton on the repository, load and smoke every model, stop it."""
    with LocalTriton(repo, tritonserver=tritonserver, load_timeout_s=load_timeout_s) as server:
        return load_and_smoke(server, repository_models(repo), on_result, overrides)
