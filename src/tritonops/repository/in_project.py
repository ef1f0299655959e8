"""Findings about a generated config.pbtxt, located where the user wrote it: the project file.

The validator reads the generated repository (it checks any repository, hand-written ones too), so
its findings name ``pipeline/config.pbtxt:25``. When a project rendered that repository, the fix
belongs in the project file: each finding about a model the project declares is given the line,
column and field path of the project entry it came from (from the YAML marks the loader kept),
the generated file staying on as a secondary note. The config field at the finding's line is
found with ``locate.path_at`` and translated to the project's names (``input_map`` → ``inputs``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tritonops.repository.diagnostics import Diagnostic, ProjectLocation
from tritonops.repository.locate import Step, path_at
from tritonops.spec import Project
from tritonops.spec.issues import format_path
from tritonops.spec.yamlmarks import Loc

# config.pbtxt field → the project file's key for it, where the two differ
_RENAMED = {
    "input": "inputs",
    "output": "outputs",
    "step": "steps",
    "input_map": "inputs",
    "output_map": "outputs",
    "model_name": "model",
    "model_version": "version",
}
# fields that only wrap others in config.pbtxt and have no key of their own in the project file
_WRAPPERS = frozenset({"ensemble_scheduling"})


def _project_sub_path(steps: list[Step]) -> Loc:
    loc: list[str | int] = []
    for name, selector in steps:
        if name in _WRAPPERS:
            continue
        if name in ("key", "value") and loc:
            break  # inside a map entry: the entry is the place
        loc.append(_RENAMED.get(name, name))
        if selector is not None:
            loc.append(selector)
    return tuple(loc)


def _known_prefix(project: Project, loc: Loc) -> Loc:
    """The longest part of ``loc`` that the project file really spells out."""
    values = project.locator.marks.values
    for end in range(len(loc), -1, -1):
        if loc[:end] in values:
            return loc[:end]
    return ()


def locate_in_project(
    project: Project, repository: Path, diagnostics: list[Diagnostic]
) -> list[Diagnostic]:
    """``diagnostics`` with each one about a declared model located in the project file."""
    texts: dict[str, str | None] = {}
    out = []
    for diagnostic in diagnostics:
        spec = project.model(diagnostic.model)
        if spec is None:  # e.g. a model a TRT-LLM set expands to: no entry to point at
            out.append(diagnostic)
            continue
        sub: Loc = ()
        if diagnostic.line is not None and diagnostic.file.endswith("config.pbtxt"):
            if diagnostic.file not in texts:
                try:
                    texts[diagnostic.file] = (repository / diagnostic.file).read_text("utf-8")
                except (OSError, UnicodeDecodeError):
                    texts[diagnostic.file] = None
            text = texts[diagnostic.file]
            if text is not None:
                sub = _project_sub_path(path_at(text, diagnostic.line))
        loc = _known_prefix(project, (*project.loc(spec), *sub))
        where = project.locator.marks.locate(loc)
        located = ProjectLocation(project.locator.file, where.line, where.column, format_path(loc))
        out.append(replace(diagnostic, project=located))
    return out
