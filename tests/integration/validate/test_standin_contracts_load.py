"""Static ``validate`` and ``validate --load`` agree on hand-written repositories of the backends
whose rules come from the stand-ins' contracts (vllm model.json, non-tensor ONNX outputs).

One server start: a few conformance cases, copied into one repository, validated with a real load.
Every case the stand-ins can judge is also loaded by test_conformance_on_triton.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tritonops.deploy.loadcheck import validate_with_load

RULES = Path(__file__).resolve().parents[2] / "unit" / "validate" / "conformance" / "rules"
CASES = ("vllm_engine_valid", "vllm_engine_unknown_key", "onnx_zipmap_output")


def test_static_verdicts_are_the_load_verdicts(tmp_path: Path) -> None:
    repo = tmp_path / "models"
    for name in CASES:
        shutil.copytree(RULES / name / "repo" / name, repo / name)
    report = validate_with_load(repo, gpus=0)
    for name in CASES:
        case = json.loads((RULES / name / "case.json").read_text())
        codes = {d.code for d in report.errors if d.model == name}
        if case["expected"] == "valid":
            assert codes == set(), (name, report.diagnostics)
            continue
        # the static rule and the server's refusal, side by side, for the same reason
        assert codes == {case["expected"], "TRITON-X001"}, (name, report.diagnostics)
        [refused] = [d for d in report.errors if d.model == name and d.code == "TRITON-X001"]
        assert case["triton_says"] in refused.message, refused.message
