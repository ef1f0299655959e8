"""Triton's own qa/L0_model_config sweep, recounted on the conformance corpus.

conformance/triton_qa.json lists every case of that suite with Triton's verdict (accept or
reject) and, where the case cannot be reproduced here, why. Each reproducible case is mirrored by
one or more of our own repositories under conformance/rules/ that name it in ``triton_qa``. The
validator must flag at least 95 % of the reproducible rejects with the code of the case's rule and
give no error on any accepted case.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.cases import RULES, Case, load_cases

from tritonops.repository.validate import validate_repository

MANIFEST = json.loads((Path(__file__).parent / "conformance" / "triton_qa.json").read_text())
QA_PREFIX = "triton-inference-server/server qa/L0_model_config/"


def _mirrors() -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for case in load_cases(RULES):
        for ref in case.triton_qa:
            out.setdefault(ref.removeprefix(QA_PREFIX), []).append(case)
    return out


def _right(case: Case) -> bool:
    report = validate_repository(case.repo)
    if case.valid:
        return report.valid
    return case.expected in {d.code for d in report.errors if d.model == case.model}


def test_every_qa_case_is_mirrored_or_explained() -> None:
    mirrors = _mirrors()
    cases = MANIFEST["cases"]
    assert len(cases) >= 200
    assert set(mirrors) <= set(cases), sorted(set(mirrors) - set(cases))
    for name, entry in cases.items():
        assert entry["triton"] in ("accept", "reject"), name
        if "unreproducible" in entry:
            assert name not in mirrors, f"{name} is both mirrored and called unreproducible"
            assert len(entry["unreproducible"]) > 20, name
            continue
        assert name in mirrors, f"{name} has no mirror in conformance/rules"
        for case in mirrors[name]:
            assert case.valid is (entry["triton"] == "accept"), (name, case.name)


def test_validator_matches_the_qa_verdicts() -> None:
    mirrors = _mirrors()
    flagged: list[str] = []
    missed: list[str] = []
    false_errors: list[str] = []
    for name, entry in MANIFEST["cases"].items():
        if "unreproducible" in entry:
            continue
        right = all(_right(case) for case in mirrors[name])
        if entry["triton"] == "reject":
            (flagged if right else missed).append(name)
        elif not right:
            false_errors.append(name)
    assert not false_errors, false_errors
    assert len(flagged) / (len(flagged) + len(missed)) >= 0.95, missed
