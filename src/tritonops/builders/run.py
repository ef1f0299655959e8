"""``tritonops build``: build what changed, then render and validate the repository.

Per model: the builder's fingerprint (sources, options, tool versions) hashes to a cache key; when
every version's lineage carries that key and the stored artifact still matches its recorded
sha256, nothing is built. Otherwise the builder writes into a staging dir that replaces the store
entry only on success. The repository is then rendered from the stored artifacts, validated in a
temp dir and swapped in; when neither artifacts nor configs changed, it is left alone.
"""

from __future__ import annotations

import concurrent.futures
import json
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

from tritonops.builders import lineage as lineage_store
from tritonops.builders.base import Artifact, BuildContext, Builder
from tritonops.builders.hashing import file_sha256, key_of
from tritonops.builders.lineage import LineageRecord
from tritonops.builders.registry import builder_for
from tritonops.builders.store import artifact_dir, artifacts_match, clean_leftovers, staging
from tritonops.builders.stored import SIGNATURE_FILE, never_built, stored_plans
from tritonops.builders.tensorrt_llm.standin import TOOL as STANDIN_TOOL
from tritonops.errors import BuildError, ParityError
from tritonops.repository.project import RenderState, lay_out
from tritonops.repository.validate import ValidationReport
from tritonops.spec import ModelSpec, Project, load_project

Event = Callable[[str, str], None]  # (model, what happened)

# recorded with every build: what `tritonops doctor` compares with the serving side
_ENVIRONMENT = {
    "python": platform.python_version(),
    "numpy": metadata.version("numpy"),
    "tritonops": metadata.version("tritonops"),
}


# what happened to one model: built now, its artifacts were current, only planned (--dry-run),
# or its build failed (the rest carry on; the previous artifacts stay)
BuildState = Literal["built", "up-to-date", "planned", "failed"]
# "not-rendered": a model failed to build, so the repository was left as it was
RepositoryState = RenderState | Literal["not-rendered"]


@dataclass(frozen=True)
class ModelBuild:
    """What happened to one model: built, up to date, planned (dry run), or failed."""

    model: str
    state: BuildState
    steps: tuple[str, ...] = ()
    record: LineageRecord | None = None
    error: str = ""


@dataclass(frozen=True)
class BuildResult:
    repository: Path
    models: tuple[ModelBuild, ...]
    repository_state: RepositoryState
    report: ValidationReport | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def built(self) -> list[str]:
        return [m.model for m in self.models if m.state == "built"]


def build_project(
    project_file: Path,
    *,
    only: Sequence[str] = (),
    force: bool = False,
    dry_run: bool = False,
    jobs: int = 1,
    on_event: Event | None = None,
) -> BuildResult:
    """Build the project's models, then render and validate its repository."""
    project = load_project(project_file)
    say = on_event or (lambda _model, _what: None)
    clean_leftovers(project.root)
    unknown = [name for name in only if project.model(name) is None]
    if unknown:
        raise BuildError(f"--only names no model of the project: {', '.join(unknown)}")
    wanted = [m for m in project.models if not only or m.name in only]

    def one(spec: ModelSpec) -> ModelBuild:
        return _build_model(project, spec, force=force, dry_run=dry_run, say=say)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, wanted))
    failed = [o for o in outcomes if o.state == "failed"]
    if failed:
        raise BuildError(
            "build failed for "
            + ", ".join(o.model for o in failed)
            + ":\n"
            + "\n".join(f"  {o.model}: {o.error}" for o in failed)
        )
    plans, missing = stored_plans(project)
    if missing:  # a dry run, or --only, left models without an artifact: nothing to lay out yet
        note = f"not rendered: {never_built(project, missing)}" + (
            " (a dry run builds nothing)" if dry_run else ""
        )
        return BuildResult(project.repository, tuple(outcomes), "not-rendered", notes=(note,))
    rendered = lay_out(project, plans, say=lambda what, happened: say(what, happened))
    return BuildResult(project.repository, tuple(outcomes), rendered.state, rendered.report)


def _context(project: Project, spec: ModelSpec, work: Path) -> BuildContext:
    return BuildContext(project=project, model=spec, version=max(spec.versions), work_dir=work)


def _build_model(
    project: Project, spec: ModelSpec, *, force: bool, dry_run: bool, say: Event
) -> ModelBuild:
    builder = builder_for(spec)
    if builder is None:  # nothing to build for this kind
        return ModelBuild(spec.name, "up-to-date")
    try:
        ctx = _context(project, spec, artifact_dir(project.root, spec.name))
        key = key_of(builder.fingerprint(ctx))
        steps = tuple(builder.plan(ctx))
        if dry_run:
            for step in steps:
                say(spec.name, step)
            return ModelBuild(
                spec.name, "planned", steps, _lay_standin(project, spec, builder, say)
            )
        if not force and _up_to_date(project, spec, key):
            say(spec.name, "up to date")
            return ModelBuild(spec.name, "up-to-date", steps)
        say(spec.name, "building")
        record = _build(project, spec, builder, key)
        say(spec.name, "built")
        return ModelBuild(spec.name, "built", steps, record)
    except BuildError as exc:
        return ModelBuild(spec.name, "failed", error=str(exc))


def _up_to_date(project: Project, spec: ModelSpec, key: str) -> bool:
    records = [lineage_store.read(project.root, spec.name, v) for v in spec.versions]
    if any(r is None or r.key != key for r in records):
        return False
    first = records[0]
    assert first is not None
    return artifacts_match(artifact_dir(project.root, spec.name), first.artifacts)


def _lay_standin(
    project: Project, spec: ModelSpec, builder: Builder, say: Event
) -> LineageRecord | None:
    """A dry run of a builder that has a stand-in (TensorRT-LLM) lays it in the build store.

    Its lineage key differs from the real build's, so a later real build never reads it as up
    to date; a real artifact already stored is left alone.
    """
    make = getattr(builder, "standin", None)
    if make is None:
        return None
    current = lineage_store.read(project.root, spec.name, max(spec.versions))
    if current is not None and STANDIN_TOOL not in current.tools:
        say(spec.name, "a real engine is in the build store: the dry run leaves it in place")
        return None
    ctx = _context(project, spec, artifact_dir(project.root, spec.name))
    key = key_of({**builder.fingerprint(ctx), STANDIN_TOOL: True})
    if current is not None and current.key == key and _up_to_date(project, spec, key):
        return current
    record = _build(project, spec, builder, key, make=make)
    say(spec.name, "stand-in engine laid for CPU serving (not a TensorRT-LLM engine)")
    return record


def _build(
    project: Project,
    spec: ModelSpec,
    builder: Builder,
    key: str,
    make: Callable[[BuildContext], Artifact] | None = None,
) -> LineageRecord:
    with staging(project.root, spec.name) as work:
        ctx = _context(project, spec, work)
        fingerprint = builder.fingerprint(ctx)
        try:
            artifact = (make or builder.build)(ctx)
        except ParityError as exc:
            parity = getattr(exc, "parity", None)
            _record_failed_parity(project, spec, key, fingerprint, parity)
            raise
        _write_signature(work, artifact)
        hashes = {name: file_sha256(work / name) for name in artifact.files}
    record = None
    for version in spec.versions:
        record = LineageRecord(
            model=spec.name,
            version=version,
            kind=spec.kind,
            key=key,
            fingerprint=fingerprint,
            artifacts=hashes,
            tools={**_ENVIRONMENT, **artifact.tools},
            parity=LineageRecord.parity_of(artifact.parity),
            notes=artifact.notes,
        )
        lineage_store.write(project.root, record)
    assert record is not None
    return record


def _record_failed_parity(
    project: Project, spec: ModelSpec, key: str, fingerprint: dict[str, object], parity: object
) -> None:
    """A blocked build is recorded too (under .tritonops/lineage/<model>/failed.json)."""
    path = lineage_store.lineage_path(project.root, spec.name, 0).with_name("failed.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"key": key, "fingerprint": fingerprint, "parity": getattr(parity, "__dict__", None)}
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def _write_signature(work: Path, artifact: Artifact) -> None:
    """Keep the artifact's IO signature and extra parameters beside it for later renders."""
    if artifact.signature is None and not artifact.parameters:
        return
    data: dict[str, object] = {"parameters": artifact.parameters}
    if artifact.signature is not None:
        data["signature"] = {
            "max_batch_size": artifact.signature.max_batch_size,
            "inputs": [t.model_dump(mode="json") for t in artifact.signature.inputs],
            "outputs": [t.model_dump(mode="json") for t in artifact.signature.outputs],
        }
    (work / SIGNATURE_FILE).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
