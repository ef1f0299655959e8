"""The request and engine-argument rules of Triton's vLLM backend, without Triton.

Standard library only: unit tests import this module, and the vllm stand-in's model.py imports
the copy the backend-directory setup places beside it, inside Triton's python backend stub.

Sources (read, not copied): github.com/triton-inference-server/vllm_backend ``src/model.py``
(model.json, decoupled, cancellation), ``src/utils/request.py`` (inputs and the responses built
from them) and ``src/utils/vllm_backend_utils.py`` (sampling parameters from JSON); vLLM's
``SamplingParams`` for the sampling limits. Each rule below says which.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# the tokens every request and the stand-in tokenizer share
BOS_ID, EOS_ID = 1, 2
_FIRST_WORD = 3  # 0..2 are <unk>, <s>, </s>
# one token per word or run of punctuation, as a Hugging Face ``Whitespace`` pre-tokenizer splits
# (the TensorRT-LLM stand-in's word-level tokenizer counts the same way), so a prompt of N words
# is N tokens on both stand-ins
_PIECES = re.compile(r"\w+|[^\w\s]+")
# what generated tokens read as: any id maps to one of these words
WORDS = (
    "the", "model", "server", "answers", "fast", "and", "small", "engine", "text", "with",
    "a", "token", "stream", "is", "good", "for", "triton", "request", "of", "large",
)  # fmt: skip
MIN_VOCAB = _FIRST_WORD + 253
# the decoder the stand-in runs: small enough for a CPU, whatever the checkpoint's size
SMALL = {
    "hidden_size": 96,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 192,
}


class ContractError(ValueError):
    """A request or model.json the real backend would refuse too; the message says what to fix.

    ``line`` is the line of model.json at fault, where one is known."""

    line: int | None = None


# ---- the tokenizer: bytes in, one printable character per generated token out ------------------


def encode(text: str, vocab_size: int = MIN_VOCAB) -> list[int]:
    """``<s>`` then one token per word (or run of punctuation), its id a stable hash of the
    lower-cased word: any text encodes, and its length in tokens is its length in words."""
    span = vocab_size - _FIRST_WORD
    pieces = _PIECES.findall(text)
    return [BOS_ID, *(_FIRST_WORD + zlib.crc32(p.lower().encode()) % span for p in pieces)]


def decode_token(token: int) -> str:
    """A generated token's text: special tokens are empty, any other a space and one word (so
    streamed pieces are always whole words, whatever the decoder picks)."""
    if token < _FIRST_WORD:
        return ""
    return " " + WORDS[(token - _FIRST_WORD) % len(WORDS)]


# ---- model.json ---------------------------------------------------------------------------------


def read_engine_args(version_dir: str) -> dict[str, Any]:
    """model.json as the backend reads it (src/model.py ``_init_engine_args``: it must exist in the
    version folder and hold a JSON object)."""
    path = os.path.join(version_dir, "model.json")
    if not os.path.isfile(path):
        raise ContractError(
            f"'model.json' containing vllm engine args must be provided in '{version_dir}'"
        )
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path} is not valid JSON: {exc} — fix the file") from None
    return engine_args_from_text(text, path)


def engine_args_from_text(text: str, path: str) -> dict[str, Any]:
    """model.json's text as the backend takes it: a JSON object (``json.load`` in
    ``_init_engine_args``), else a ContractError naming the line."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        error = ContractError(f"{path} is not valid JSON: {exc} — fix the file")
        error.line = getattr(exc, "lineno", None)
        raise error from None
    if not isinstance(data, dict):
        raise ContractError(f"{path} must hold a JSON object of engine arguments")
    return data


def decoder_config(args: Mapping[str, Any], version_dir: str) -> tuple[dict[str, int], int]:
    """The stand-in decoder's config and seed for ``args``.

    ``model`` names a folder (absolute, or relative to the version folder) holding a checkpoint
    ``config.json``, whose vocabulary and positions are kept and whose sizes are shrunk; or a
    Hugging Face id, which the stand-in never downloads: the decoder then has the small default
    shape. The seed is ``seed`` from model.json, else a hash of the model name, so two models
    differ and one model answers the same everywhere."""
    model = str(args.get("model", DEFAULT_MODEL))
    config: dict[str, Any] = {}
    for folder in (model, os.path.join(version_dir, model)):
        path = os.path.join(folder, "config.json")
        if (os.path.isabs(folder) or folder != model) and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                loaded = json.load(handle)
            if isinstance(loaded, dict):
                config = loaded
            break
    vocab = config.get("vocab_size")
    positions = args.get("max_model_len") or config.get("max_position_embeddings") or 2048
    shape = {
        **SMALL,
        "vocab_size": max(vocab if isinstance(vocab, int) else 0, MIN_VOCAB),
        "max_position_embeddings": int(positions),
    }
    seed = args.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        seed = zlib.crc32(model.encode())
    return shape, seed


# The engine arguments the stand-in knows, with the limits vLLM checks when it builds its configs.
# They mirror ``tritonops.spec.vllm.VllmEngineArgs`` (a unit test holds the two together); this
# module cannot import it, since the stub may not see tritonops.
_POSITIVE = ("max_model_len", "max_num_seqs", "max_num_batched_tokens")
_AT_LEAST_ONE = ("tensor_parallel_size", "pipeline_parallel_size")
ENGINE_KEYS = frozenset(
    {
        "model",
        "tokenizer",
        "revision",
        "trust_remote_code",
        "dtype",
        "seed",
        "max_model_len",
        "quantization",
        "tensor_parallel_size",
        "pipeline_parallel_size",
        "gpu_memory_utilization",
        "kv_cache_dtype",
        "block_size",
        "swap_space",
        "cpu_offload_gb",
        "enable_prefix_caching",
        "enable_chunked_prefill",
        "max_num_seqs",
        "max_num_batched_tokens",
        "enforce_eager",
        "disable_log_stats",
        "speculative_config",
    }
)


# what the stand-in calls the model when model.json names none (vLLM would load its own default)
DEFAULT_MODEL = "vllm-default-model"


def engine_problem(args: Mapping[str, Any]) -> str | None:
    """model.json refused as vLLM refuses it, first problem only (vLLM stops at the first)."""
    unknown = sorted(k for k in args if k not in ENGINE_KEYS)
    if unknown:
        # vllm_backend builds AsyncEngineArgs(**model.json): Python's TypeError for a stray key
        return f"AsyncEngineArgs.__init__() got an unexpected keyword argument '{unknown[0]}'"
    # no "model" is not a failure: AsyncEngineArgs has a default model, which vLLM then loads
    if "model" in args and (not isinstance(args["model"], str) or not args["model"]):
        return 'model.json must name the model: "model": "<Hugging Face id or folder>"'
    for key in _POSITIVE + _AT_LEAST_ONE:
        value = args.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            return f"{key} must be a positive integer (got {value!r})"
    fraction = args.get("gpu_memory_utilization")
    if fraction is not None and (
        isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1
    ):
        # vLLM CacheConfig: a fraction of the GPU's memory, in (0, 1]
        return f"gpu_memory_utilization must be in (0, 1] (got {fraction!r})"
    return None


# ---- sampling parameters ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sampling:
    """The vLLM sampling parameters the stand-in honours, at vLLM's defaults."""

    max_tokens: int = 16  # vLLM SamplingParams default
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1  # -1 (or 0): no top-k cut
    seed: int | None = None
    min_tokens: int = 0
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False

    @property
    def greedy(self) -> bool:
        # vLLM: a temperature below its epsilon means greedy, whatever top_p/top_k say
        return self.temperature < 1e-5


_INTS = ("max_tokens", "top_k", "seed", "min_tokens")
_FLOATS = ("temperature", "top_p")
# vLLM SamplingParams fields a request may carry that change nothing the stand-in can show
_ACCEPTED = frozenset(
    {
        "n",
        "best_of",
        "presence_penalty",
        "frequency_penalty",
        "repetition_penalty",
        "min_p",
        "logprobs",
        "prompt_logprobs",
        "skip_special_tokens",
        "spaces_between_special_tokens",
        "include_stop_str_in_output",
        "detokenize",
        "stop_token_ids",
        "lora_name",
    }
)
KNOWN_SAMPLING = frozenset({*_INTS, *_FLOATS, "stop", "ignore_eos"} | _ACCEPTED)


def parse_sampling(text: str) -> Sampling:
    """``sampling_parameters`` (or the request's parameters) as JSON text → ``Sampling``.

    Values are converted to the field's type first, as the backend's ``TritonSamplingParams``
    does (so ``"max_tokens": "8"`` works); then vLLM's ``SamplingParams`` limits apply."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError as exc:
        raise ContractError(f"sampling_parameters is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError('sampling_parameters must be a JSON object such as {"max_tokens": 8}')
    unknown = sorted(k for k in raw if k not in KNOWN_SAMPLING and k != "stream")
    if unknown:
        raise ContractError(
            f"unknown sampling parameter(s) {', '.join(unknown)} — vLLM's SamplingParams takes "
            "max_tokens, temperature, top_p, top_k, seed, min_tokens, stop, ignore_eos, ..."
        )
    values: dict[str, Any] = {}
    try:
        for key in _INTS:
            if raw.get(key) is not None:
                values[key] = int(raw[key])
        for key in _FLOATS:
            if raw.get(key) is not None:
                values[key] = float(raw[key])
    except (TypeError, ValueError):
        raise ContractError(
            f"sampling parameter {key!r} must be a number (got {raw[key]!r})"
        ) from None
    stop = raw.get("stop")
    if isinstance(stop, str):
        values["stop"] = (stop,) if stop else ()
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        values["stop"] = tuple(s for s in stop if s)
    elif stop is not None:
        raise ContractError("stop must be a string or a list of strings")
    if "ignore_eos" in raw:
        values["ignore_eos"] = bool(raw["ignore_eos"])
    sampling = Sampling(**values)
    _verify(sampling)
    return sampling


def _verify(s: Sampling) -> None:
    """vLLM ``SamplingParams._verify_args``: the limits it refuses a request for."""
    if s.max_tokens < 1:
        raise ContractError(f"max_tokens must be at least 1, got {s.max_tokens}.")
    if s.temperature < 0:
        raise ContractError(f"temperature must be non-negative, got {s.temperature}.")
    if not 0 < s.top_p <= 1:
        raise ContractError(f"top_p must be in (0, 1], got {s.top_p}.")
    if s.top_k < -1:
        raise ContractError(
            f"top_k must be -1 (disable), 0 (disable) or at least 1, got {s.top_k}."
        )
    if s.min_tokens < 0:
        raise ContractError(f"min_tokens must be greater than or equal to 0, got {s.min_tokens}.")
    if s.min_tokens > s.max_tokens:
        raise ContractError(
            f"min_tokens must be less than or equal to max_tokens={s.max_tokens}, "
            f"got {s.min_tokens}."
        )


def prepend_input(exclude: bool | None, stream: bool) -> bool:
    """Whether the prompt is written before the generated text (src/utils/request.py).

    ``exclude_input_in_output`` given: its opposite. Absent: not when streaming, yes otherwise.
    Streaming with the prompt prepended is refused."""
    prepend = (not exclude) if exclude is not None else not stream
    if prepend and stream:
        raise ContractError("When streaming, `exclude_input_in_output` = False is not allowed.")
    return prepend


class StopText:
    """Finds the first stop string in the growing output, as vLLM does on detokenized text: the
    text up to (not including) it is what the user gets."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.text = ""

    def add(self, piece: str) -> tuple[str, bool]:
        """The new text to send for ``piece``, and whether a stop string ended the output."""
        before = len(self.text)
        self.text += piece
        for stop in self.stops:
            at = self.text.find(stop, max(0, before - len(stop) + 1))
            if at != -1:
                new = self.text[before:at] if at >= before else ""
                self.text = self.text[:at]
                return new, True
        return piece, False
