"""Project file → model repository on disk: the library call behind ``tritonops render``.

The repository is rendered into a temp dir, validated there, and only then swapped into place,
so a failing render or an invalid result never replaces the previous repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tritonops.errors import ValidationFailed
from tritonops.repository.layout import write_repository
from tritonops.repository.render import TemplateSet
from tritonops.repository.validate import ValidationReport, validate_repository
from tritonops.repository.validate.release_schema import project_release
from tritonops.spec import ModelPlan, load_project, plan_models


@dataclass(frozen=True)
class RenderResult:
    """What ``render_project`` wrote and what the validator said about it."""

    repository: Path
    plans: tuple[ModelPlan, ...]
    report: ValidationReport | None


def render_project(
    project_file: Path, out: Path | None = None, *, validate: bool = True
) -> RenderResult:
    """Render every model of the project into ``out`` (default: the project's ``repository``)."""
    project = load_project(project_file)
    plans = plan_models(project)
    target = (out or project.repository).resolve()
    templates = TemplateSet(project.templates)
    reports: list[ValidationReport] = []

    def check(staged: Path) -> None:
        report = validate_repository(staged, triton_version=project_release(project))
        reports.append(report)
        if not report.valid:
            raise ValidationFailed(report.diagnostics)

    write_repository(plans, target, templates, check=check if validate else None)
    return RenderResult(target, tuple(plans), reports[-1] if reports else None)
