"""Plans whose files come from the build store, and ``render_project`` on top of them.

Builders write each model's artifact (and its IO signature) into ``.tritonops/build/<model>/``;
this is the only place that turns those stored artifacts back into model plans. ``build`` lays
out the repository from these plans right after building, ``render`` and ``deploy`` do the same
later, so every command serves exactly what the last build produced.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tritonops.builders import lineage as lineage_store
from tritonops.builders.artifact_signature import apply_signature
from tritonops.builders.registry import extra_plans, needs_artifact
from tritonops.builders.store import artifact_dir
from tritonops.errors import BuildError
from tritonops.repository.project import RenderResult, Say, lay_out
from tritonops.spec import ModelPlan, Project, load_project, plan_models

SIGNATURE_FILE = ".signature.json"


def stored_plans(project: Project) -> tuple[list[ModelPlan], list[str]]:
    """Every model's plan with its version files taken from the store; and the never-built ones."""
    plans: list[ModelPlan] = []
    missing: list[str] = []
    by_name = {spec.name: spec for spec in project.models}
    for plan in plan_models(project):
        spec = by_name.get(plan.name)
        if spec is None:  # an ensemble: nothing to build
            plans.append(plan)
            continue
        folder = artifact_dir(project.root, spec.name)
        record = lineage_store.read(project.root, spec.name, max(spec.versions))
        if not needs_artifact(spec):
            # e.g. TRT-LLM: the set renders without the engine (dry run); a built one goes along
            expanded = extra_plans(project, spec, plan)
            if record is not None and folder.is_dir():
                files = {name: folder / name for name in record.artifacts}
                expanded = [
                    replace(p, version_files=files) if p.name == spec.name else p for p in expanded
                ]
            plans.extend(expanded)
            continue
        if record is None or not folder.is_dir():
            missing.append(spec.name)
            continue
        files = {name: folder / name for name in record.artifacts}
        plans.append(
            apply_signature(replace(plan, version_files=files), spec, folder / SIGNATURE_FILE)
        )
    return plans, missing


def never_built(project: Project, missing: list[str]) -> BuildError:
    """The error for models that have no artifact in the store yet; it names the command."""
    names = " ".join(f"--only {m}" for m in missing)
    return BuildError(
        f"{', '.join(repr(m) for m in missing)} in {project.path} "
        f"{'has' if len(missing) == 1 else 'have'} never been built (no artifact in "
        f"{project.root / '.tritonops' / 'build'}) — run `tritonops build {names}` "
        "(or `tritonops build` for every model)"
    )


def render_project(
    project_file: Path, out: Path | None = None, *, validate: bool = True, say: Say | None = None
) -> RenderResult:
    """Lay out the project's repository (or ``out``) from the build store, validated."""
    project = load_project(project_file)
    plans, missing = stored_plans(project)
    if missing:
        raise never_built(project, missing)
    return lay_out(project, plans, out, validate=validate, say=say)
