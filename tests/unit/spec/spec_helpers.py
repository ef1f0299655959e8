"""Assertion helpers shared by the spec tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tritonops.errors import SpecIssue

FULL = Path(__file__).parent / "data" / "full"

WriteProject = Callable[[str], Path]
LoadIssues = Callable[[str], list[SpecIssue]]


def at(issues: list[SpecIssue], path: str) -> SpecIssue:
    """The one issue at ``path``; fails listing every issue when there is not exactly one."""
    found = [i for i in issues if i.path == path]
    assert len(found) == 1, "\n".join(str(i) for i in issues)
    return found[0]


def where(issue: SpecIssue) -> tuple[int | None, int | None]:
    return issue.line, issue.column
