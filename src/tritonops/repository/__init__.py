"""Model repositories: lay one out from model plans, validated, and validate any on disk.

::

    result = lay_out(plans, project, Path("model_repository"))   # rendered, validated, swapped in
    report = validate_repository(Path("model_repository"))       # every problem at once
    print(format_report(report, "text"))

Rendering is ``render``/``layout``/``project``; the validator is the ``validate`` subpackage.
"""

from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.project import RenderResult, lay_out
from tritonops.repository.validate import (
    CODES,
    FORMATS,
    ValidationReport,
    format_report,
    validate_repository,
)
from tritonops.repository.validate.report import LoadResult

__all__ = [
    "CODES",
    "FORMATS",
    "Diagnostic",
    "LoadResult",
    "RenderResult",
    "ValidationReport",
    "format_report",
    "lay_out",
    "validate_repository",
]
