"""vLLM models: the version folder holds ``model.json``, the engine arguments vLLM starts from.

Nothing is compiled: vLLM loads (or downloads) ``vllm.model`` itself when Triton loads the model.
The file is written into the build store like any artifact, so ``render`` and ``deploy`` place
exactly what the last build wrote.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tritonops.builders.base import Artifact, BuildContext
from tritonops.errors import BuildError
from tritonops.spec.vllm import ENGINE_ARGS_FILE, VllmEngineArgs

BUILDER_VERSION = "1"


class VllmBuilder:
    kind = "vllm"

    def fingerprint(self, ctx: BuildContext) -> dict[str, Any]:
        text = self._args(ctx).engine_json()
        return {
            "builder": f"vllm/{BUILDER_VERSION}",
            "engine_args": hashlib.sha256(text.encode()).hexdigest(),
        }

    def plan(self, ctx: BuildContext) -> list[str]:
        return [f"write {ctx.model.name}/{ctx.version}/{ENGINE_ARGS_FILE} (vLLM engine arguments)"]

    def build(self, ctx: BuildContext) -> Artifact:
        (ctx.work_dir / ENGINE_ARGS_FILE).write_text(self._args(ctx).engine_json())
        return Artifact(files=(ENGINE_ARGS_FILE,))

    @staticmethod
    def _args(ctx: BuildContext) -> VllmEngineArgs:
        if ctx.model.vllm is None:
            raise BuildError(
                f"model {ctx.model.name!r} (kind vllm) has no vllm: section — add vllm: with "
                "model: <Hugging Face id or model folder>"
            )
        return ctx.model.vllm
