"""Load every model of a repository in an embedded Triton and smoke each one (`validate --load`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

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
    """Model folders, plain models before ensembles so a failing step is reported as itself."""
    names = sorted(p.name for p in repo.iterdir() if p.is_dir() and not p.name.startswith("."))

    def is_ensemble(name: str) -> bool:
        config = repo / name / "config.pbtxt"
        try:
            return config.is_file() and parse_text(config.read_text()).platform == "ensemble"
        except (ConfigParseError, OSError, UnicodeDecodeError):
            return False  # an unreadable config fails at load; its place in the order is moot

    return sorted(names, key=lambda n: (is_ensemble(n), n))


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
