"""Conformance corpus for auto-complete, Triton-supplied tensors and schema releases.

Each case under conformance/autocomplete/ is a small repository (``repo/``) with ``case.json``:
its expected verdict, the error codes expected (exactly), the rule, and the rule's source in
Triton's own code or documentation; optionally the target release (``triton_version``) and
``auto_complete: false`` for a server run with --disable-auto-complete-config. Cases marked
``server`` are also loaded in a real tritonserver by
tests/integration/validate/test_conformance_autocomplete_server.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tritonops.repository.validate import validate_repository

CORPUS = Path(__file__).parent / "conformance" / "autocomplete"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.json").is_file())


def load_case(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / name / "case.json").read_text())
    return data


def test_corpus_is_not_empty() -> None:
    assert len(CASES) >= 20
    verdicts = {load_case(c)["verdict"] for c in CASES}
    assert verdicts == {"valid", "invalid"}


@pytest.mark.parametrize("name", CASES)
def test_case_gets_its_expected_verdict(name: str) -> None:
    case = load_case(name)
    assert case["rule"]
    assert case["source"]
    version = case.get("triton_version")
    report = validate_repository(
        CORPUS / name / "repo",
        triton_version=str(version) if version else None,
        auto_complete=bool(case.get("auto_complete", True)),
    )
    errors = sorted({d.code for d in report.errors})
    assert errors == sorted(case["codes"]), [str(d) for d in report.diagnostics]
    assert report.valid is (case["verdict"] == "valid"), [str(d) for d in report.diagnostics]
    for d in report.errors:
        assert d.file
        assert d.message
