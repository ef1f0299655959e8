"""The dry run's stand-in engine: the file ``tritonops build --dry-run`` lays where the engine goes.

The engine model's version folder then holds ``tritonops-standin-engine.json`` (see
``tritonops.llm.engine_file``) instead of ``config.json`` + ``rank<N>.engine``, so the whole
in-flight batching repository loads on the embedded server's ``tensorrtllm`` stand-in. The
config.pbtxt files are the production ones either way. A real engine already in the build
store is never replaced by a stand-in.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from tritonops.builders.base import Artifact, BuildContext, IOSignature
from tritonops.builders.tensorrt_llm import tensors
from tritonops.builders.tensorrt_llm.repository import (
    checked_build,
    default_engine_dir,
    engine_parameters,
)
from tritonops.errors import BuildError
from tritonops.llm import engine_file

TOOL = "tritonops-standin-engine"  # the lineage records a stand-in under this tool name


def is_standin(tools: dict[str, str]) -> bool:
    """Whether a lineage record's tools say its artifact is a stand-in engine."""
    return TOOL in tools


def _json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(
            f"{path} cannot be read as JSON ({exc}) — fix or replace the file"
        ) from exc
    return data if isinstance(data, dict) else {}


def tokenizer_size(checkpoint: Path) -> int | None:
    """How many token ids the checkpoint's ``tokenizer.json`` knows (vocabulary + added)."""
    data = _json(checkpoint / "tokenizer.json")
    model = data.get("model")
    ids: list[int] = []
    if isinstance(model, dict) and isinstance(model.get("vocab"), dict):
        ids += [v for v in model["vocab"].values() if isinstance(v, int)]
    for added in data.get("added_tokens") or []:
        if isinstance(added, dict) and isinstance(added.get("id"), int):
            ids.append(added["id"])
    return max(ids) + 1 if ids else None


def standin_engine(ctx: BuildContext) -> engine_file.StandinEngine:
    """The stand-in for ``ctx``'s model: decoder shape from the checkpoint, limits from build."""
    build = checked_build(ctx.project, ctx.model)
    checkpoint = ctx.project.resolve(build.checkpoint)
    config_path = checkpoint / "config.json"
    config = _json(config_path)
    decoder = engine_file.decoder_config(config, tokenizer_size(checkpoint))
    decoder["max_position_embeddings"] = build.max_seq_len
    # the seed follows the checkpoint's config, so one checkpoint always gives the same weights
    digest = hashlib.sha256(config_path.read_bytes() if config_path.is_file() else b"").digest()
    limits = {
        "max_batch_size": build.max_batch_size,
        "max_input_len": build.max_input_len,
        "max_seq_len": build.max_seq_len,
        "max_beam_width": build.max_beam_width,
    }
    return engine_file.StandinEngine(
        decoder=decoder,
        seed=int.from_bytes(digest[:4], "big"),
        limits=limits,
        checkpoint=checkpoint.name,
    )


def lay(ctx: BuildContext) -> Artifact:
    """Write the stand-in engine into ``ctx.work_dir``; the artifact the engine model serves."""
    build = checked_build(ctx.project, ctx.model)
    engine = standin_engine(ctx)
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    (ctx.work_dir / engine_file.FILE_NAME).write_text(engine.to_json())
    return Artifact(
        files=(engine_file.FILE_NAME,),
        signature=IOSignature(
            inputs=tuple(tensors.engine_inputs(build.lora is not None)),
            outputs=tuple(tensors.engine_outputs()),
            max_batch_size=build.triton_max_batch_size,
        ),
        tools={TOOL: str(engine_file.VERSION)},
        parameters=engine_parameters(ctx.model, build, default_engine_dir(ctx.model)),
        notes=(
            f"{ctx.model.name}: a CPU stand-in engine (tritonops build --dry-run), served "
            "locally by the tensorrtllm stand-in backend; a real TensorRT-LLM refuses it",
        ),
    )
