"""Project inputs stay inside the project folder unless the project file says otherwise.

CI renders projects from pull requests, and ``render`` copies what ``source:``, ``files:`` and
``execution_env:`` name into the repository. Without a boundary, ``files: {labels.txt:
/etc/shadow}`` ships a host's secrets to every server. So every path the project reads
(``source``, ``files`` values, ``execution_env``, an experiment's ``dataset``, ``templates``) must,
after symlinks are resolved, lie inside the folder holding the project file; a folder is checked
entry by entry, since a link inside it is copied as the file it points to.

A project that really keeps inputs elsewhere (a shared model store) lists those folders at the
top level::

    allow_paths_outside_project:
      - /mnt/models          # absolute, or relative to the project file
      - ../shared/assets

A path is then accepted when it resolves inside the project or inside one of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tritonops.errors import SpecIssue
from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.issues import Locator
from tritonops.spec.models import ModelSpec
from tritonops.spec.onnx_build import parse_factory
from tritonops.spec.sources import resolve
from tritonops.spec.yamlmarks import Loc

ALLOW_FIELD = "allow_paths_outside_project"
_FIX = (
    f"move it into the project folder, or list the folder holding it under {ALLOW_FIELD}: "
    "at the top of the project file"
)


def allowed_roots(
    entries: Sequence[str], root: Path, at: Locator
) -> tuple[list[Path], list[SpecIssue]]:
    """The opt-in folders, symlinks resolved; an entry that is not a folder is an issue."""
    roots: list[Path] = []
    issues: list[SpecIssue] = []
    for index, entry in enumerate(entries):
        path = resolve(root, entry)
        if not _safe(path.is_dir):
            issues.append(
                at.issue(
                    (ALLOW_FIELD, index),
                    f"{entry!r} is not a folder (relative paths start in {root})",
                    "list existing folders only",
                )
            )
            continue
        roots.append(path.resolve())
    return roots, issues


def check_inside(
    models: Iterable[tuple[Loc, ModelSpec]],
    experiments: Iterable[tuple[Loc, ExperimentSpec]],
    templates: str | None,
    root: Path,
    allowed: Sequence[Path],
    at: Locator,
) -> list[SpecIssue]:
    """One issue per input path that leads outside the project and the allowed folders."""
    boundary = [root.resolve(), *allowed]
    named: list[tuple[Loc, str]] = []
    for loc, model in models:
        if model.source is not None and parse_factory(model.source) is None:
            named.append(((*loc, "source"), model.source))
        named += [((*loc, "files", key), value) for key, value in model.files.items()]
        if model.execution_env is not None:
            named.append(((*loc, "execution_env"), model.execution_env))
    named += [((*loc, "dataset"), e.dataset) for loc, e in experiments if e.dataset is not None]
    if templates is not None:
        named.append((("templates",), templates))
    issues = []
    for loc, text in named:
        escape = _first_escape(resolve(root, text), boundary)
        if escape is not None:
            issues.append(at.issue(loc, _message(text, escape, root), _FIX))
    return issues


def _first_escape(path: Path, boundary: Sequence[Path]) -> tuple[Path, Path] | None:
    """``(entry, where it resolves)`` for the first entry at or under ``path`` outside."""
    if not _safe(path.exists) and not _safe(path.is_symlink):
        return None  # a missing path is reported by the existence checks
    real = path.resolve()
    if not _within(real, boundary):
        return path, real
    if not real.is_dir():
        return None
    for dirpath, dirnames, filenames in os.walk(real):
        for name in (*dirnames, *filenames):
            entry = Path(dirpath) / name
            if entry.is_symlink():
                target = entry.resolve()
                if not _within(target, boundary):
                    return entry, target
    return None


def _within(path: Path, boundary: Sequence[Path]) -> bool:
    return any(path == b or path.is_relative_to(b) for b in boundary)


def _message(text: str, escape: tuple[Path, Path], root: Path) -> str:
    entry, real = escape
    if entry == resolve(root, text) and real == entry:
        how = ""
    elif entry == resolve(root, text):
        how = f" (it resolves to {real})"
    else:
        how = f" ({entry} inside it links to {real})"
    return f"{text!r} is outside the project folder {root}{how}"


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (OSError, ValueError):
        return False
