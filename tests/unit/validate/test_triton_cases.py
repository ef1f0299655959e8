"""The validator's verdict on every repository that benchmarks/validator_vs_triton.py serves.

``expected`` in triton_cases was checked against a real tritonserver 2.51: a valid (or GPU-only)
repository gets no error, a defect gets its code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_builder import Repo
from triton_cases import TritonCase, all_cases


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.name) for c in all_cases() if c.expected != "defect"]
)
def test_valid_repository_gets_no_error(tmp_path: Path, case: TritonCase) -> None:
    report = Repo(tmp_path / "repo").files(case.files).validate()
    assert report.valid, report.errors


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.name) for c in all_cases() if c.expected == "defect"]
)
def test_defect_is_flagged_with_its_code(tmp_path: Path, case: TritonCase) -> None:
    report = Repo(tmp_path / "repo").files(case.files).validate()
    assert case.code in {d.code for d in report.errors}, report.diagnostics


def test_cases_are_many_and_named_once() -> None:
    cases = all_cases()
    assert len(cases) >= 60
    assert len({c.name for c in cases}) == len(cases)
    assert all(c.code for c in cases if c.expected == "defect")
