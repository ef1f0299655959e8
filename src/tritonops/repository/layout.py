"""Write a model repository atomically: build it next to its destination, check it, swap it in.

A reader (Triton polling the folder, a user) sees either the previous repository or the new one,
never a half-written one. The root holds a ``.tritonops`` marker listing every file written, so
tritonops only ever replaces what it wrote itself (or an empty folder): see ``tritonops.atomic``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tritonops import __version__
from tritonops.atomic import (
    REPOSITORY_MARKER,
    check_replaceable,
    make_staging,
    swap_directory,
    write_marker,
)
from tritonops.errors import RenderError, RepositoryError
from tritonops.repository.render import TemplateSet, render_config
from tritonops.spec.plan import ModelPlan

MARKER = REPOSITORY_MARKER
CONFIG_NAME = "config.pbtxt"


@dataclass(frozen=True)
class WrittenModel:
    """One model folder as it now stands in the repository."""

    name: str
    path: Path
    config: Path
    versions: tuple[int, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True)
class RepositoryWriteResult:
    """What ``write_repository`` put in place."""

    root: Path
    models: tuple[WrittenModel, ...]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]


def write_repository(
    plans: list[ModelPlan],
    out: Path,
    templates: TemplateSet | None = None,
    check: Callable[[Path], None] | None = None,
) -> RepositoryWriteResult:
    """Render every plan and replace ``out`` with the resulting repository in one rename.

    ``check`` sees the finished repository before it is swapped in and refuses it by raising. On any
    failure nothing in ``out`` changes and no temporary folder is left behind.
    """
    configs = _render_all(plans, templates)
    _check_plans(plans)
    root = Path(os.path.abspath(out))
    check_replaceable(root, MARKER, RepositoryError)
    try:
        tmp = make_staging(root, MARKER)
    except OSError as exc:
        raise RepositoryError(
            f"cannot create a folder next to {root}: {exc.strerror or exc} — choose an output "
            "folder whose parent is writable"
        ) from exc
    try:
        models = [_build_model(tmp, root, plan, configs[plan.name]) for plan in plans]
        write_marker(tmp, MARKER, _marker(plans))
        if check is not None:
            check(tmp)
        try:
            swap_directory(tmp, root)
        except OSError as exc:
            raise RepositoryError(
                f"cannot move the new repository into {root}: {exc.strerror or exc} — the previous "
                "one is unchanged; check permissions and that nothing holds the folder open"
            ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return RepositoryWriteResult(root=root, models=tuple(models))


def _render_all(plans: list[ModelPlan], templates: TemplateSet | None) -> dict[str, str]:
    configs: dict[str, str] = {}
    failures: list[str] = []
    for plan in plans:
        try:
            configs[plan.name] = render_config(plan, templates, f"{plan.name}/{CONFIG_NAME}")
        except RenderError as exc:
            failures.append(str(exc))
    if failures:
        raise RenderError(
            f"{len(failures)} of {len(plans)} model(s) did not render:\n\n" + "\n\n".join(failures)
        )
    return configs


def _check_plans(plans: list[ModelPlan]) -> None:
    """Every problem with names, versions and source files, reported together."""
    problems: list[str] = []
    seen: set[str] = set()
    for plan in plans:
        name = plan.name
        if not _is_plain_name(name):
            problems.append(
                f"model {name!r}: a model name must be one folder name — not empty, no '/' or "
                "'\\', not starting with '.'"
            )
            continue
        if name in seen:
            problems.append(f"model {name!r} appears twice — give each model its own name")
        seen.add(name)
        problems += [
            f"model {name!r}: version {v} is negative — versions are folder numbers >= 0"
            for v in plan.versions
            if v < 0
        ]
        problems += _check_files(name, "version folder", plan.version_files.items())
        problems += _check_files(name, "model folder", plan.model_files.items())
        if CONFIG_NAME in plan.model_files:
            problems.append(
                f"model {name!r}: model_files would overwrite the rendered {CONFIG_NAME} — "
                "drop that entry"
            )
    if problems:
        raise RepositoryError(
            f"cannot write the model repository ({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def _is_plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and not any(c in name for c in "/\\\0")


def _check_files(model: str, where: str, files: Iterable[tuple[str, Path]]) -> list[str]:
    problems = []
    for rel, source in files:
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or ".." in parts or "\\" in rel:
            problems.append(
                f"model {model!r}: {rel!r} is not a relative path inside the {where} — "
                "use a path like 'model.onnx' or 'assets/vocab.txt'"
            )
        if not source.exists():
            problems.append(
                f"model {model!r}: source {source} for {rel!r} does not exist — build the model "
                "first (tritonops build) or fix the path in the project file"
            )
    return problems


def _build_model(tmp: Path, root: Path, plan: ModelPlan, config_text: str) -> WrittenModel:
    folder = tmp / plan.name
    folder.mkdir()
    (folder / CONFIG_NAME).write_text(config_text, encoding="utf-8", newline="\n")
    placed: list[Path] = []
    # Triton needs a version folder even for an ensemble, which has no files of its own.
    ensemble = plan.kind == "ensemble" or plan.config.is_ensemble
    versions = plan.versions or ((1,) if ensemble else ())
    for version in versions:
        version_dir = folder / str(version)
        version_dir.mkdir()
        for rel, source in plan.version_files.items():
            placed.append(_copy(plan.name, source, version_dir / rel, tmp))
    for rel, source in plan.model_files.items():
        placed.append(_copy(plan.name, source, folder / rel, tmp))
    final = root / plan.name
    return WrittenModel(
        name=plan.name,
        path=final,
        config=final / CONFIG_NAME,
        versions=tuple(versions),
        files=tuple(root / p.relative_to(tmp) for p in placed),
    )


def _copy(model: str, source: Path, dest: Path, tmp: Path) -> Path:
    source = source.absolute()
    if source.is_dir() and tmp.absolute().is_relative_to(source):
        raise RepositoryError(
            f"model {model!r}: source folder {source} contains the repository being written — "
            "point the output somewhere outside it"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)
    except OSError as exc:
        raise RepositoryError(
            f"model {model!r}: cannot copy {source} to {dest.name}: {exc.strerror or exc} — check "
            "that the file is readable and the disk has room"
        ) from exc
    return dest


def _marker(plans: list[ModelPlan]) -> dict[str, Any]:
    return {"version": __version__, "models": [p.name for p in plans]}
