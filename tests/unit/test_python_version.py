"""The lowest Python tritonops claims is said the same way everywhere, and this suite runs on it.

tritonops needs 3.11 (``typing.Self``, ``enum.StrEnum``, ``tomllib``, ``datetime.UTC`` are 3.11
additions, docs.python.org/3/whatsnew/3.11.html). requires-python, ruff's target-version, mypy's
python_version and the README must agree, or pip would install tritonops where it cannot import.
CI runs the suite on that lowest version (.ci/run, Debian 12's python3.11).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _lowest() -> tuple[int, int]:
    claim = PYPROJECT["project"]["requires-python"]
    match = re.fullmatch(r">=\s*3\.(\d+)", claim)
    assert match, f"requires-python {claim!r} is not of the form >=3.N"
    return 3, int(match.group(1))


def test_every_place_names_the_same_lowest_python() -> None:
    major, minor = _lowest()
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{major}{minor}"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == f"{major}.{minor}"
    claims = set(re.findall(r"Python >= ?(3\.\d+)", (ROOT / "README.md").read_text()))
    assert claims == {f"{major}.{minor}"}


CONFORMANCE = ROOT / "tests" / "unit" / "validate" / "conformance"


def test_this_interpreter_meets_the_claim() -> None:
    assert sys.version_info[:2] >= _lowest()


def test_sources_parse_with_the_lowest_grammar() -> None:
    """No syntax newer than the claim (``type X = ...``, PEP 695 generics are 3.12)."""
    lowest = _lowest()
    failures = []
    for folder in ("src", "tests", "benchmarks"):
        for file in sorted((ROOT / folder).rglob("*.py")):
            if CONFORMANCE in file.parents:
                continue  # model.py files for tritonserver's stub, some invalid on purpose
            try:
                ast.parse(file.read_text(encoding="utf-8"), str(file), feature_version=lowest)
            except SyntaxError as exc:
                failures.append(f"{file.relative_to(ROOT)}:{exc.lineno}: {exc.msg}")
    assert failures == []
