"""A diagnostic: one problem found in a model repository, located and with a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. ``code`` is stable (tests and users grep for it); ``hint`` says how to fix."""

    file: str
    line: int | None
    code: str
    severity: Severity
    model: str
    message: str
    hint: str = ""
    # where the project file declared what this finding is about (set when a project rendered
    # the repository): the place to fix it; file/line above then name the generated file
    project: ProjectLocation | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        out = {k: data[k] for k in ("code", "severity", "model", "file", "line", "message", "hint")}
        if self.project is not None:
            out["project"] = asdict(self.project)
        return out

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.project is not None:
            text = (
                f"{self.project}: {self.severity} {self.code}: {self.message} (generated {where})"
            )
        else:
            text = f"{where}: {self.severity} {self.code}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(frozen=True, order=True)
class ProjectLocation:
    """A place in the project file: ``tritonops.yaml:49:36`` and the field path there."""

    file: str
    line: int
    column: int
    path: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}" if self.path else where
