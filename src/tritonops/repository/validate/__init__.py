"""``tritonops validate``: prove a Triton model repository is right, reporting all problems at once.

::

    report = validate_repository(Path("model_repository"))  # RepositoryError if unreadable
    report.valid, report.models, report.diagnostics
    print(format_report(report, "text" | "json" | "github" | "junit"))

The rules come from what Triton 2.51 accepts and rejects (Triton's model_config.proto and
docs/user_guide/model_configuration.md, checked on the embedded server); each diagnostic carries a
stable code from ``codes.CODES``, the file and line, and a hint on how to fix it.
"""

from tritonops.repository.validate.codes import CODES
from tritonops.repository.validate.report import FORMATS, ValidationReport, format_report
from tritonops.repository.validate.run import validate_repository

__all__ = ["CODES", "FORMATS", "ValidationReport", "format_report", "validate_repository"]
