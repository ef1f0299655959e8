"""Builders: a project's model sources become stored, versioned artifacts with their lineage.

::

    result = build_project(Path("tritonops.yaml"))      # BuildResult: per-model outcome + repo
    rendered = render_project(Path("tritonops.yaml"))   # lay out the repository from the store
    lineage.read_all(...)                               # what each version was built from

One builder per model kind (``registry``); the cache, staging and store live in ``run``, ``store``
and ``stored``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tritonops.builders import lineage
    from tritonops.builders.run import BuildResult, build_project
    from tritonops.builders.stored import render_project

__all__ = ["BuildResult", "build_project", "lineage", "render_project"]

# Loaded on first use, not here: tritonops.repository imports builders.hashing, which runs this
# file, and builders.run imports tritonops.repository back.
_HOMES = {
    "BuildResult": "tritonops.builders.run",
    "build_project": "tritonops.builders.run",
    "lineage": "tritonops.builders.lineage",
    "render_project": "tritonops.builders.stored",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(home)
    return module if name == "lineage" else getattr(module, name)
