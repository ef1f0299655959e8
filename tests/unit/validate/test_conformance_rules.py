"""The validator's verdict on every case of the conformance corpus (conformance/rules/).

Each case's expected verdict is Triton's; tests/integration/validate/test_conformance_on_triton.py
checks it against the real tritonserver 2.51 wherever the embedded server can judge the case.
"""

from __future__ import annotations

import pytest
from conformance.cases import Case, load_cases

from tritonops.repository.validate import CODES, validate_repository

CASES = load_cases()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_validator_gives_the_expected_verdict(case: Case) -> None:
    report = validate_repository(case.repo)
    if case.valid:
        assert report.valid, [str(d) for d in report.errors]
        return
    codes = {d.code for d in report.errors if d.model == case.model}
    assert case.expected in codes, [str(d) for d in report.diagnostics]


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 100
    assert {c.server for c in CASES} <= {"yes", "no", "crash"}
    for case in CASES:
        assert case.valid or case.expected in CODES, case.name
        assert case.rule, case.name
        assert case.source, case.name
        assert (case.repo / case.model).is_dir(), case.name
    # every error rule has a valid neighbour somewhere in the corpus, so a check that flags
    # everything cannot pass
    assert sum(c.valid for c in CASES) >= 10
