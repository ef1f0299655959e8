"""``validate --load``: the static checks, then every model loaded and smoked in a real Triton."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from tritonops.deploy.check import check_repository_loads
from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate import ValidationReport, validate_repository
from tritonops.repository.validate.report import LoadResult, sort_key

_FIX = {
    "FAILED": "that is tritonserver's own reason; fix the config or the model files",
    "ERROR": "the model loads but answers wrongly: make model and config agree on names, "
    "types and shapes",
}


def load_diagnostic(result: LoadResult) -> Diagnostic:
    code = "TRITON-X001" if result.state == "FAILED" else "TRITON-X002"
    return Diagnostic(
        file=f"{result.model}/config.pbtxt",
        line=None,
        code=code,
        severity="error",
        model=result.model,
        message=result.detail or f"state {result.state}",
        hint=_FIX.get(result.state, ""),
    )


def validate_with_load(
    repo: Path,
    *,
    tritonserver: Path | None = None,
    load_timeout_s: float = 120.0,
    on_result: Callable[[LoadResult], None] | None = None,
) -> ValidationReport:
    """Static validation plus a real load and smoke inference of every model."""
    report = validate_repository(repo)
    results = check_repository_loads(
        repo, tritonserver=tritonserver, load_timeout_s=load_timeout_s, on_result=on_result
    )
    failures = [load_diagnostic(r) for r in results if not r.passed]
    diagnostics = sorted([*report.diagnostics, *failures], key=sort_key)
    return dataclasses.replace(report, diagnostics=diagnostics, load=tuple(results))
