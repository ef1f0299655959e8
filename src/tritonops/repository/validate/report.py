"""The result of a validation and its renderings: text, json, github (workflow commands), junit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal
from xml.etree import ElementTree as ET

from tritonops.repository.diagnostics import Diagnostic

Format = Literal["text", "json", "github", "junit"]
FORMATS: tuple[str, ...] = ("text", "json", "github", "junit")


# a model in a real server: READY (loaded, smoke inference right), FAILED (did not load),
# ERROR (loaded, inference failed or wrong), SKIPPED (not smoke-testable here, e.g. no GPU)
LoadState = Literal["READY", "FAILED", "ERROR", "SKIPPED"]


@dataclass(frozen=True)
class LoadResult:
    """How one model did in a real server (``validate --load``): loaded, and its smoke inference."""

    model: str
    version: str
    state: LoadState
    latency_ms: float | None = None
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.state in ("READY", "SKIPPED")

    def __str__(self) -> str:
        took = f" {self.latency_ms:.1f} ms" if self.latency_ms is not None else ""
        version = f" v{self.version}" if self.version else ""
        text = f"{self.model}{version}: {self.state}{took}"
        return f"{text} — {self.detail}" if self.detail and not self.passed else text


@dataclass(frozen=True)
class ValidationReport:
    """Every diagnostic of one repository, sorted by file and line (plus load results, if run)."""

    models: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    root: Path = Path("model_repository")
    model_names: tuple[str, ...] = ()
    load: tuple[LoadResult, ...] | None = None
    schema: str = ""  # the model_config schema and target release the configs were checked with
    load_server: str = ""  # with load results: which server gave them, when not the target release

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "valid": self.valid,
            "models": self.models,
            "schema": self.schema,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }
        if self.load is not None:
            data["load"] = [asdict(r) | {"passed": r.passed} for r in self.load]
            if self.load_server:
                data["load_server"] = self.load_server
        return data


def sort_key(d: Diagnostic) -> tuple[str, int, str, str]:
    return (d.file, d.line if d.line is not None else 0, d.code, d.message)


def summary(report: ValidationReport) -> str:
    verdict = "valid" if report.valid else "invalid"
    loaded = ""
    if report.load is not None:
        passed = sum(1 for r in report.load if r.passed)
        loaded = f", {passed}/{len(report.load)} loaded and answered in tritonserver"
    schema = f" [schema: {report.schema}]" if report.schema else ""
    server = (
        f" [load: {report.load_server}]" if report.load is not None and report.load_server else ""
    )
    return (
        f"{report.models} model(s), {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s){loaded}: {verdict}{schema}{server}"
    )


def _text(report: ValidationReport) -> str:
    loads = [f"load {r}" for r in report.load or ()]
    return "\n".join([*(str(d) for d in report.diagnostics), *loads, summary(report)]) + "\n"


def _json(report: ValidationReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(report: ValidationReport) -> str:
    """GitHub Actions workflow commands; file paths include the repository folder."""
    lines = []
    for d in report.diagnostics:
        path = PurePosixPath(report.root.as_posix()) / d.file
        props = [f"file={_escape_property(str(path))}"]
        if d.project is not None:  # annotate the line to edit: the project file's
            where = d.project
            props = [f"file={_escape_property(where.file)}", f"line={where.line}"]
            props.append(f"col={where.column}")
        elif d.line is not None:
            props.append(f"line={d.line}")
        props.append(f"title={_escape_property(d.code)}")
        body = f"{d.message} — {d.hint}" if d.hint else d.message
        lines.append(f"::{d.severity} {','.join(props)}::{_escape_data(body)}")
    for r in report.load or ():
        if r.passed:
            lines.append(f"::notice title=load {_escape_property(r.model)}::{_escape_data(str(r))}")
    lines.append(("::notice::" if report.valid else "::error::") + _escape_data(summary(report)))
    return "\n".join(lines) + "\n"


def _junit(report: ValidationReport) -> str:
    """One testcase per model; a model with errors fails with all of them listed."""
    by_model: dict[str, list[Diagnostic]] = {name: [] for name in report.model_names}
    for d in report.diagnostics:
        by_model.setdefault(d.model, []).append(d)
    failed = sum(1 for ds in by_model.values() if any(d.severity == "error" for d in ds))
    suites = ET.Element("testsuites", name="tritonops validate")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=str(report.root),
        tests=str(len(by_model)),
        failures=str(failed),
        errors="0",
    )
    if report.schema:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="schema", value=report.schema)
        if report.load is not None and report.load_server:
            ET.SubElement(props, "property", name="load_server", value=report.load_server)
    for model in sorted(by_model):
        diagnostics = by_model[model]
        case = ET.SubElement(suite, "testcase", classname=str(report.root), name=model)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors:
            failure = ET.SubElement(
                case, "failure", message=f"{len(errors)} error(s)", type=errors[0].code
            )
            failure.text = "\n".join(str(d) for d in errors)
        notes = [str(d) for d in diagnostics if d.severity == "warning"]
        notes += [f"load {r}" for r in report.load or () if r.model == model]
        if notes:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(notes)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


_RENDERERS: dict[str, Callable[[ValidationReport], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "junit": _junit,
}


def format_report(report: ValidationReport, fmt: str = "text") -> str:
    """Render ``report`` as ``text``, ``json``, ``github`` or ``junit``."""
    try:
        return _RENDERERS[fmt](report)
    except KeyError:
        raise ValueError(
            f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}"
        ) from None
