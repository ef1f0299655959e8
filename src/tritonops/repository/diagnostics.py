"""A diagnostic: one problem found in a model repository, located and with a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        return {
            k: data[k] for k in ("code", "severity", "model", "file", "line", "message", "hint")
        }

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.severity} {self.code}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text
