"""``TensorRTLLMBuilder``: the Builder for ``kind: tensorrt_llm`` (an HF checkpoint → an engine).

``plan`` is the dry run: the exact argv lines, computed without TensorRT-LLM or a GPU. ``build``
runs them through the installed package and leaves ``config.json`` + ``rank<N>.engine`` in the
work dir, which becomes the engine model's version folder (``gpt_model_path`` on the server).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from tritonops.builders.base import Artifact, BuildContext, IOSignature
from tritonops.builders.tensorrt_llm import commands, engine, standin, tensors
from tritonops.builders.tensorrt_llm.repository import (
    checked_build,
    default_engine_dir,
    engine_parameters,
    notes,
)
from tritonops.errors import BuildError
from tritonops.spec.trtllm_build import TrtLlmBuild

_HASHED_BYTES = 1 << 20  # files up to this size are hashed; weights are fingerprinted by stat


def _files_digest(folder: Path) -> dict[str, str]:
    """Content hash of small files, size and mtime of large ones (hashing GBs is not cheap)."""
    if not folder.is_dir():
        return {}
    digest: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        rel = path.relative_to(folder).as_posix()
        if stat.st_size <= _HASHED_BYTES:
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[rel] = f"size={stat.st_size} mtime_ns={stat.st_mtime_ns}"
    return digest


class TensorRTLLMBuilder:
    """Builds a TensorRT-LLM engine with the documented CLI route (convert/quantize, trtllm-build).

    ``toolchain`` and ``gpus`` override discovery (tests, or a site with its own layout).
    """

    kind = "tensorrt_llm"

    def __init__(self, toolchain: commands.Toolchain | None = None, gpus: int | None = None):
        self._toolchain = toolchain
        self._gpus = gpus

    def _tools(self, ctx: BuildContext, build: TrtLlmBuild) -> commands.Toolchain:
        if self._toolchain is not None:
            return self._toolchain
        examples = ctx.project.resolve(build.examples_dir) if build.examples_dir else None
        return commands.find_toolchain(examples)

    def steps(self, ctx: BuildContext) -> list[list[str]]:
        """The argv lists ``build`` runs, for ``ctx``."""
        build = checked_build(ctx.project, ctx.model)
        lora = build.lora.dir if build.lora is not None else None
        return commands.plan_steps(
            build,
            ctx.project.resolve(build.checkpoint),
            ctx.work_dir,
            self._tools(ctx, build),
            ctx.project.resolve(lora) if lora else None,
        )

    def fingerprint(self, ctx: BuildContext) -> dict[str, Any]:
        build = checked_build(ctx.project, ctx.model)
        lora = build.lora.dir if build.lora is not None else None
        return {
            "kind": self.kind,
            "options": build.model_dump(mode="json", exclude={"serving"}),
            "checkpoint": _files_digest(ctx.project.resolve(build.checkpoint)),
            "lora": _files_digest(ctx.project.resolve(lora)) if lora else {},
            "tensorrt_llm": engine.package_version(),
        }

    def plan(self, ctx: BuildContext) -> list[str]:
        return commands.display(self.steps(ctx))

    def standin(self, ctx: BuildContext) -> Artifact:
        """The dry run's artifact: a CPU stand-in engine file where the engine would go."""
        return standin.lay(ctx)

    def build(self, ctx: BuildContext) -> Artifact:
        build = checked_build(ctx.project, ctx.model)
        steps = self.steps(ctx)
        scripts = [Path(steps[0][1])]
        version = engine.require_environment(scripts, build.world_size, self._gpus)
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        converted = ctx.work_dir / commands.CHECKPOINT_SUBDIR
        try:
            engine.run_steps(steps, ctx.work_dir)
        finally:
            shutil.rmtree(converted, ignore_errors=True)
        files = _check_engine(ctx.work_dir, build.world_size)
        engine_dir = default_engine_dir(ctx.model)
        return Artifact(
            files=files,
            signature=IOSignature(
                inputs=tuple(tensors.engine_inputs(build.lora is not None)),
                outputs=tuple(tensors.engine_outputs()),
                max_batch_size=build.triton_max_batch_size,
            ),
            tools={"tensorrt_llm": version},
            parameters=engine_parameters(ctx.model, build, engine_dir),
            notes=tuple(notes(ctx.model, build)),
        )


def _check_engine(folder: Path, world_size: int) -> tuple[str, ...]:
    """The engine files written, or BuildError when a rank's engine or the config is missing."""
    expected = ["config.json", *(f"rank{rank}.engine" for rank in range(world_size))]
    absent = [name for name in expected if not (folder / name).is_file()]
    if absent:
        raise BuildError(
            f"trtllm-build finished but {', '.join(absent)} is missing in {folder} — check its "
            "output above for warnings; the engine folder must hold config.json and one "
            "rank<N>.engine per rank"
        )
    return tuple(sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()))
