"""The one render-and-validate step: model plans → a validated repository on disk.

``build``, ``render``, ``deploy`` and ``quickstart`` all lay out the repository here (their plans
come from the build store, see ``tritonops.builders.stored``). The repository is rendered into a
temp dir, validated there, and only then swapped into place, so a failing render or an invalid
result never replaces the previous one. One stamp (a hash of every rendered config, every placed
file and the target path) lets an unchanged repository stay as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from tritonops.builders.hashing import file_sha256, key_of
from tritonops.errors import ValidationFailed
from tritonops.repository.in_project import locate_in_project
from tritonops.repository.layout import MARKER, write_repository
from tritonops.repository.render import TemplateSet, render_config
from tritonops.repository.validate import ValidationReport, validate_repository
from tritonops.repository.validate.release_schema import project_release
from tritonops.spec import ModelPlan, Project

Say = Callable[[str, str], None]  # (what, what happened)

STAMP = Path(".tritonops") / "repository.sha256"


# "up-to-date": the repository on disk already held exactly this render; nothing was written
RenderState = Literal["written", "up-to-date"]


@dataclass(frozen=True)
class RenderResult:
    """What the step wrote (or left alone) and what the validator said about it."""

    repository: Path
    plans: tuple[ModelPlan, ...]
    report: ValidationReport | None
    state: RenderState = "written"


def _content(path: Path) -> str | dict[str, str]:
    """The sha256 of a file, or of every file under a folder (a python model, an engine dir)."""
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): file_sha256(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
    return file_sha256(path) if path.is_file() else "missing"


def _digest(plans: list[ModelPlan], templates: TemplateSet, target: Path) -> str:
    return key_of(
        [
            str(target),
            [
                [
                    render_config(p, templates),
                    {n: _content(f) for n, f in sorted(p.version_files.items())},
                    {n: _content(f) for n, f in sorted(p.model_files.items())},
                    list(p.versions),
                ]
                for p in plans
            ],
        ]
    )


def lay_out(
    project: Project,
    plans: list[ModelPlan],
    out: Path | None = None,
    *,
    validate: bool = True,
    say: Say | None = None,
) -> RenderResult:
    """Render ``plans`` into ``out`` (default: the project's repository), validated, atomically."""
    tell = say or (lambda _what, _happened: None)
    target = (out or project.repository).resolve()
    templates = TemplateSet(project.templates)
    digest = _digest(plans, templates, target)
    stamp = project.root / STAMP
    unchanged = stamp.is_file() and stamp.read_text().strip() == digest
    if validate and unchanged and (target / MARKER).is_file():
        found = validate_repository(target, triton_version=project_release(project))
        report = replace(found, diagnostics=locate_in_project(project, target, found.diagnostics))
        if report.valid:
            tell("repository", "up to date")
            return RenderResult(target, tuple(plans), report, "up-to-date")
    reports: list[ValidationReport] = []

    def check(staged: Path) -> None:
        # findings about declared models point at the project file (the generated file is a note)
        found = validate_repository(staged, triton_version=project_release(project))
        report = replace(found, diagnostics=locate_in_project(project, staged, found.diagnostics))
        reports.append(report)
        if not report.valid:
            raise ValidationFailed(report.diagnostics)

    stamp.unlink(missing_ok=True)
    write_repository(plans, target, templates, check=check if validate else None)
    if validate:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(digest + "\n")
    tell("repository", f"written to {target}")
    return RenderResult(target, tuple(plans), reports[-1] if reports else None, "written")
