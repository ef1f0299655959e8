"""The conformance corpus's expected verdicts, checked against the real tritonserver 2.51.

tests/unit/validate/conformance/rules/<case>/case.json says what Triton does with each small
repository; the unit test checks the validator against it. Here the embedded server loads every
case it can judge (python models, ensembles of them, plain config rules), so an expected verdict
is Triton's, not a picture of it: "valid" must load, an error must fail the load with the words
of its rule (``triton_says``), and a "crash" case must take the server down. Cases whose
``judge`` is a stand-in backend (vllm, tensorrtllm, onnxruntime rules that the stand-in applies
with the real backend's words) are judged by that stand-in, as ``validate --load`` is. Cases
marked "server": "no" (checks of the ONNX file the stand-in does not reproduce; TensorRT;
GPU-only rules on a CPU host) are left out, each with its reason in its case.json.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tritonops.errors import ModelLoadError, ServerError
from tritonops.server import LocalTriton

RULES = Path(__file__).resolve().parents[2] / "unit" / "validate" / "conformance" / "rules"


def _cases(server: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for meta in sorted(RULES.glob("*/case.json")):
        data = json.loads(meta.read_text())
        if data["server"] == server:
            out.append((meta.parent.name, data))
    return out


JUDGED = _cases("yes")
CRASHES = _cases("crash")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One server over every judged case (model names are unique across the corpus)."""
    root = tmp_path_factory.mktemp("conformance") / "models"
    root.mkdir()
    for name, _ in JUDGED:
        for model in (RULES / name / "repo").iterdir():
            assert not (root / model.name).exists(), f"{model.name} is in two cases"
            shutil.copytree(model, root / model.name, symlinks=True)
    with LocalTriton(root, load_timeout_s=60.0) as triton:
        yield triton


def _loads(triton: LocalTriton, model: str) -> tuple[bool, str]:
    try:
        triton.load(model)
    except ModelLoadError as exc:
        return False, exc.reason
    return True, ""


@pytest.fixture(scope="module")
def verdicts(server: LocalTriton, request: pytest.FixtureRequest) -> dict[str, tuple[bool, str]]:
    """Every selected case loaded once, several at a time: Triton loads models in parallel and
    each case is its own model (names are unique), so the verdicts are those of one-by-one loads;
    a python stub's start-up is most of each load's time, and it overlaps this way."""
    selected = {
        item.callspec.params["name"]
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == "test_triton_gives_the_expected_verdict"
    }
    models = {name: case["model"] for name, case in JUDGED if name in selected}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(_loads, server, model) for name, model in models.items()}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize(("name", "case"), JUDGED, ids=[n for n, _ in JUDGED])
def test_triton_gives_the_expected_verdict(
    verdicts: dict[str, tuple[bool, str]], name: str, case: Any
) -> None:
    loaded, reason = verdicts[name]
    if case["expected"] == "valid":
        assert loaded, f"{name}: Triton refused a case expected valid: {reason}"
    else:
        assert not loaded, f"{name}: Triton loaded a case expected to fail ({case['expected']})"
        # and it failed for the case's rule, not for an accident of the repository
        assert case["triton_says"] in reason, f"{name}: {reason}"


@pytest.mark.parametrize(("name", "case"), CRASHES, ids=[n for n, _ in CRASHES])
def test_triton_dies_on_the_crash_cases(tmp_path: Path, name: str, case: Any) -> None:
    root = tmp_path / "models"
    shutil.copytree(RULES / name / "repo", root, symlinks=True)
    with LocalTriton(root, load_timeout_s=60.0) as triton:
        with pytest.raises(ServerError):
            triton.load(case["model"])
        assert not triton.is_running(), f"{name}: the server survived"


def test_corpus_has_server_judged_cases() -> None:
    assert len(JUDGED) >= 80
    assert len(CRASHES) >= 2
