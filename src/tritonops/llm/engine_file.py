"""The stand-in engine: one JSON file laid where a TensorRT-LLM engine would go.

``tritonops build --dry-run`` writes ``tritonops-standin-engine.json`` into the engine model's
version folder instead of ``config.json`` + ``rank<N>.engine``. It carries the decoder's shape
(from the checkpoint's ``config.json``, shrunk to run on a CPU), its seed and the engine limits
the build would have used. The ``tensorrtllm`` stand-in backend runs a ``TinyDecoder`` from it.
A real TensorRT-LLM refuses the folder (it finds no ``config.json``), and the stand-in refuses a
real engine folder, each with a message that names the other.

Standard library only: the stand-in backend reads this inside Triton's python backend stub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "tritonops-standin-engine.json"
FORMAT = "tritonops-standin-engine"
VERSION = 1
# the sizes a stand-in decoder keeps small whatever the checkpoint says (a CPU runs it per token)
SMALL = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
}
LIMIT_KEYS = ("max_batch_size", "max_input_len", "max_seq_len", "max_beam_width")


class EngineFileError(ValueError):
    """The folder holds no stand-in engine, or a real one; the message says which and what to do."""


@dataclass(frozen=True)
class StandinEngine:
    """What the stand-in backend needs: the decoder's config and seed, and the engine's limits."""

    decoder: dict[str, int]
    seed: int
    limits: dict[str, int]
    checkpoint: str

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "version": VERSION,
            "decoder": self.decoder,
            "seed": self.seed,
            "limits": self.limits,
            "checkpoint": self.checkpoint,
            "note": (
                "A CPU stand-in written by `tritonops build --dry-run`, not a TensorRT-LLM "
                "engine: run `tritonops build` on a GPU machine to build the real one."
            ),
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def decoder_config(checkpoint_config: dict[str, Any], tokenizer_size: int | None) -> dict[str, int]:
    """The stand-in decoder's shape for a checkpoint.

    The vocabulary is the checkpoint's, cut to the tokenizer's size when the tokenizer shipped
    beside it knows fewer tokens (every generated id then decodes to text); the other sizes are
    ``SMALL``. ``max_position_embeddings`` is set from the engine limits by the caller.
    """
    vocab = checkpoint_config.get("vocab_size")
    if isinstance(vocab, bool) or not isinstance(vocab, int) or vocab < 1:
        vocab = tokenizer_size or 256
    if tokenizer_size is not None and 0 < tokenizer_size < vocab:
        vocab = tokenizer_size
    return {"vocab_size": vocab, **SMALL}


def _real_engine_files(folder: Path) -> list[str]:
    found = sorted(p.name for p in folder.glob("rank*.engine"))
    if (folder / "config.json").is_file():
        found.insert(0, "config.json")
    return found


def read(folder: Path) -> StandinEngine:
    """The stand-in engine in ``folder``; EngineFileError when there is none or a real one."""
    path = folder / FILE_NAME
    if not folder.is_dir():
        raise EngineFileError(f"engine folder {folder} does not exist")
    if not path.is_file():
        real = _real_engine_files(folder)
        if any(name.endswith(".engine") for name in real):
            raise EngineFileError(
                f"{folder} holds a real TensorRT-LLM engine ({', '.join(real)}); this CPU "
                "stand-in of the tensorrtllm backend only runs the stand-in engine that "
                "`tritonops build --dry-run` writes — serve this repository with NVIDIA's "
                "Triton TensorRT-LLM container on a GPU"
            )
        raise EngineFileError(
            f"{folder} holds no engine ({FILE_NAME} is missing) — run `tritonops build "
            "--dry-run` to lay the stand-in engine, or `tritonops build` on a GPU machine"
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EngineFileError(f"{path} cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise EngineFileError(f"{path} is not a {FORMAT} file (its format field differs)")
    if data.get("version") != VERSION:
        raise EngineFileError(
            f"{path} is version {data.get('version')!r}; this tritonops reads version "
            f"{VERSION} — run `tritonops build --dry-run` again"
        )
    decoder, limits, seed = data.get("decoder"), data.get("limits"), data.get("seed")
    if not isinstance(decoder, dict) or not isinstance(limits, dict) or not isinstance(seed, int):
        raise EngineFileError(f"{path}: decoder, limits and seed are missing or malformed")
    if not _int_map(decoder) or not _int_map(limits):
        raise EngineFileError(
            f"{path}: decoder and limits must map names to integers and seed must be an integer"
            " — run `tritonops build --dry-run` again"
        )
    missing = [key for key in LIMIT_KEYS if key not in limits]
    if missing:
        raise EngineFileError(f"{path}: limits lack {', '.join(missing)}")
    return StandinEngine(dict(decoder), seed, dict(limits), str(data.get("checkpoint", "")))


def _int_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    )
