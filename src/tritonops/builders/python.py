"""Python models: the user's model.py (and the files beside it) copied into the version folder."""

from __future__ import annotations

import shutil
from typing import Any

from tritonops.builders.base import Artifact, BuildContext
from tritonops.builders.hashing import tree_sha256
from tritonops.errors import BuildError

BUILDER_VERSION = "1"


class PythonBuilder:
    kind = "python"

    def fingerprint(self, ctx: BuildContext) -> dict[str, Any]:
        return {
            "builder": f"python/{BUILDER_VERSION}",
            "source": tree_sha256(self._source(ctx)),
        }

    def plan(self, ctx: BuildContext) -> list[str]:
        source = self._source(ctx)
        what = f"{source}/*" if source.is_dir() else str(source)
        return [f"copy {what} -> {ctx.model.name}/{ctx.version}/"]

    def build(self, ctx: BuildContext) -> Artifact:
        source = self._source(ctx)
        if source.is_dir():
            shutil.copytree(
                source,
                ctx.work_dir,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        else:
            shutil.copy2(source, ctx.work_dir / "model.py")
        files = tuple(
            sorted(
                p.relative_to(ctx.work_dir).as_posix()
                for p in ctx.work_dir.rglob("*")
                if p.is_file()
            )
        )
        if "model.py" not in files:
            raise BuildError(
                f"model {ctx.model.name!r}: {source} has no model.py — point `source` at model.py "
                "or at a folder holding it"
            )
        return Artifact(files=files)

    def _source(self, ctx: BuildContext) -> Any:
        if ctx.model.source is None:
            raise BuildError(
                f"model {ctx.model.name!r} (kind python) has no `source` — set it to model.py "
                "or a folder holding model.py"
            )
        return ctx.project.resolve(ctx.model.source)
