"""The auto-complete conformance cases a real tritonserver 2.51 can load get the same verdict there.

Cases marked ``server`` in tests/unit/validate/conformance/autocomplete (python models, their
auto_complete_config, sequence batching, decoupled models, ensembles) are copied into one
repository; each model is loaded on its own. The static verdict must equal the server's, and for
auto-complete cases the config the server reports must hold the tensors and max_batch_size the
case predicts; a rejected case names the words of the server's reason (``server_reason``).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tritonops.errors import ModelLoadError
from tritonops.repository.validate import validate_repository
from tritonops.server import LocalTriton

CORPUS = Path(__file__).parents[2] / "unit" / "validate" / "conformance" / "autocomplete"


def _cases() -> dict[str, dict[str, Any]]:
    cases = {}
    for case in sorted(CORPUS.iterdir()):
        meta_file = case / "case.json"
        if meta_file.is_file():
            meta: dict[str, Any] = json.loads(meta_file.read_text())
            if meta.get("server"):
                cases[case.name] = meta
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def verdicts(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[bool, str, dict[str, Any]]]:
    """case -> (every model loaded, the server's reasons, model -> served config).

    One server per auto-complete setting: cases with ``auto_complete: false`` are loaded by a
    server started with --disable-auto-complete-config.
    """
    out: dict[str, tuple[bool, str, dict[str, Any]]] = {}
    for auto in (True, False):
        group = [n for n, meta in CASES.items() if bool(meta.get("auto_complete", True)) is auto]
        if group:
            out.update(_load_all(tmp_path_factory.mktemp("conformance") / "models", group, auto))
    return out


def _load_all(
    root: Path, names: list[str], auto: bool
) -> dict[str, tuple[bool, str, dict[str, Any]]]:
    members: dict[str, list[str]] = {}
    for name in names:
        repo = CORPUS / name / "repo"
        members[name] = sorted(p.name for p in repo.iterdir() if p.is_dir())
        shutil.copytree(repo, root, dirs_exist_ok=True)
    extra = () if auto else ("--disable-auto-complete-config",)
    out: dict[str, tuple[bool, str, dict[str, Any]]] = {}
    with LocalTriton(root, load_timeout_s=60.0, extra_args=extra) as server:
        for name, models in members.items():
            loaded, reasons, configs = True, [], {}
            for model in models:
                try:
                    server.load(model)
                except ModelLoadError as exc:
                    loaded = False
                    reasons.append(f"{model}: {exc}")
                    continue
                url = f"http://{server.http_url}/v2/models/{model}/config"
                with urllib.request.urlopen(url, timeout=30) as response:
                    configs[model] = json.loads(response.read())
            out[name] = (loaded, "\n".join(reasons), configs)
    return out


def test_there_are_server_cases() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", sorted(CASES))
def test_server_agrees_with_the_expected_verdict(
    name: str, verdicts: dict[str, tuple[bool, str, dict[str, Any]]]
) -> None:
    meta = CASES[name]
    loaded, reasons, configs = verdicts[name]
    assert loaded is (meta["verdict"] == "valid"), reasons
    if "server_reason" in meta:  # rejected, and for the reason the rule names
        assert meta["server_reason"] in reasons, reasons
    auto = bool(meta.get("auto_complete", True))
    report = validate_repository(CORPUS / name / "repo", auto_complete=auto)
    assert report.valid is loaded, [str(d) for d in report.errors]
    for model, expected in meta.get("effective", {}).items():
        served = configs[model]
        assert sorted(t["name"] for t in served.get("input", [])) == sorted(expected["inputs"])
        assert sorted(t["name"] for t in served.get("output", [])) == sorted(expected["outputs"])
        assert served.get("max_batch_size", 0) == expected["max_batch_size"]
