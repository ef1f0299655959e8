"""The one exception tree of tritonops.

Every failure a user can cause or meet is a ``TritonOpsError``; the CLI turns it into one clean
message and a non-zero exit. Foreign errors (protobuf, YAML, onnx, subprocesses, tritonclient) are
translated where they cross into tritonops, with ``raise ... from exc``.

::

    TritonOpsError
    ├── SpecError               the project file is unreadable or invalid (carries every issue)
    ├── ConfigParseError        a config.pbtxt does not parse with Triton's schema (file:line:col)
    ├── RenderError             a template failed, or a rendered config did not round-trip (a bug)
    ├── RepositoryError         a model repository cannot be read or written
    ├── ValidationFailed        a repository has errors (carries the diagnostics)
    ├── ServerError             a tritonserver cannot be found, started, or stopped
    │   ├── ModelLoadError      a model failed to load (carries the server log's lines)
    │   └── MetricsError        Triton's metrics page cannot be read or does not parse
    ├── DeployError             a deploy step (smoke inference, roll-out, manifests) failed
    │   └── RemoteDeployFailed  a remote roll-out failed after its rollback (deploy.remote)
    ├── BuildError              a builder failed (export, conversion, parity gate, missing tool)
    │   └── ParityError         the artifact disagrees with its source beyond tolerance
    ├── ClientError             an inference call failed (client; carries the server's reason)
    │   ├── InputError          inputs disagree with the model's config, caught before sending
    │   ├── UnavailableError    the server cannot be reached or answered UNAVAILABLE / 503
    │   └── NoVariantAvailable  the Router has no variant left to serve a request
    ├── ExperimentError         an A/B experiment or canary ramp cannot run as asked
    ├── PerfError               a measurement failed (perf_analyzer missing or unstable, bad load)
    └── MonitoringError         rules or dashboards cannot be made or checked; Prometheus is down
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tritonops.repository.diagnostics import Diagnostic


class TritonOpsError(Exception):
    """Root of every error tritonops raises on purpose."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem in the project file, located as precisely as the YAML allows."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} — {self.fix}" if self.fix else text


class SpecError(TritonOpsError):
    """The project file has one or more problems; ``issues`` holds all of them."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ConfigParseError(TritonOpsError):
    """A config.pbtxt that Triton's own protobuf schema rejects."""

    def __init__(self, file: str, line: int | None, column: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
        where = (
            file if line is None else f"{file}:{line}" + ("" if column is None else f":{column}")
        )
        super().__init__(f"{where}: {reason}")


class RenderError(TritonOpsError):
    """A template could not render, or its output did not parse back to the intended config."""


class RepositoryError(TritonOpsError):
    """A model repository cannot be read or written."""


class ValidationFailed(TritonOpsError):
    """A repository has error diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the model repository")


class ServerError(TritonOpsError):
    """A tritonserver cannot be found, started or reached."""


class ModelLoadError(ServerError):
    """A model did not load; the message carries the server log lines that say why."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"model {model!r} failed to load: {reason}")


class MetricsError(ServerError):
    """Triton's Prometheus metrics page cannot be fetched, or its text does not parse."""


class DeployError(TritonOpsError):
    """A deploy step failed: a smoke inference, a roll-out, a rendered manifest."""


class BuildError(TritonOpsError):
    """A builder failed: export, conversion, a missing tool, or the parity gate."""


class ParityError(BuildError):
    """The built artifact disagrees with its source beyond the tolerance; nothing was written."""


class ClientError(TritonOpsError):
    """An inference call failed; ``status`` is the server's code when it answered one."""

    def __init__(self, message: str, status: str = "") -> None:
        self.status = status
        super().__init__(message)


class InputError(ClientError):
    """Inputs disagree with the model's config; raised before anything is sent."""

    def __init__(self, model: str, problems: list[str]) -> None:
        self.model = model
        self.problems = problems
        super().__init__(f"model {model!r}: " + "; ".join(problems))


class UnavailableError(ClientError):
    """The server could not be reached, or answered UNAVAILABLE (gRPC) / 503 (HTTP)."""


class NoVariantAvailable(ClientError):
    """Every variant the Router could use failed or has its circuit open."""


class PerfError(TritonOpsError):
    """A measurement or tuning run failed; the message says what to install or change."""


class ExperimentError(TritonOpsError):
    """An experiment or canary ramp cannot run as asked; the message says how to fix it."""


class MonitoringError(TritonOpsError):
    """Alert rules or a dashboard cannot be generated or checked (promtool), or a Prometheus
    server cannot be queried."""
