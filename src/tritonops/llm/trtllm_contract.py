"""The tensorrtllm backend's contract as the stand-in checks it: parameters, requests, outputs.

Facts come from the TensorRT-LLM backend for Triton (``inflight_batcher_llm``: the
``triton_backend/inflight_batcher_llm/src`` folder of NVIDIA/TensorRT-LLM, formerly
triton-inference-server/tensorrtllm_backend), read in ``model_state.cc``,
``model_instance_state.cc`` and ``utils.cc``, and from its ``docs/model_config.md``. Each rule
below names its place. Messages that the real backend words are kept in its words, followed by
the fix. Pure Python and numpy: unit tests import this module, and so does the stand-in's
model.py inside Triton's python backend stub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

# model_instance_state.cc getBatchingTypeFromParams: the accepted gpt_model_type values
BATCHING = {
    "V1": "static",
    "v1": "static",
    "inflight_batching": "inflight",
    "inflight_fused_batching": "inflight",
}
# model_instance_state.cc getSchedulerConfigFromParams / getExecutorConfigFromParams
SCHEDULER_POLICIES = ("max_utilization", "guaranteed_no_evict")
DECODING_MODES = (
    "top_k",
    "top_p",
    "top_k_top_p",
    "beam_search",
    "medusa",
    "redrafter",
    "lookahead",
    "eagle",
)
LOOKAHEAD_KEYS = (
    "lookahead_window_size",
    "lookahead_ngram_size",
    "lookahead_verification_set_size",
)
# read with no fallback in getGuidedDecodingConfigFromParams: absent means the model fails
ALWAYS_READ = ("tokenizer_dir", "xgrammar_tokenizer_info_path", "guided_decoding_backend")
# NVIDIA's images serve the repository mounted here (the default gpt_model_path points inside)
SERVER_MOUNT = "/models"

_INT = re.compile(r"\s*[+-]?\d+")
_FLOAT = re.compile(r"\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|nan)", re.I)


class ContractError(ValueError):
    """The model or request breaks the backend's contract; the message is the backend's."""


def _load_error(message: str, fix: str) -> ContractError:
    # model_instance_state.cc ModelInstanceState::Create wraps every constructor failure so
    return ContractError(f"unexpected error when creating modelInstanceState: {message} — {fix}")


@dataclass(frozen=True)
class Parameters:
    """The config.pbtxt parameters the backend reads, typed, with the warnings it would log."""

    batching: str
    engine_path: str
    exclude_input_in_output: bool = False
    max_beam_width: int = 1
    kv_cache_free_gpu_mem_fraction: float | None = None
    max_tokens_in_paged_kv_cache: int | None = None
    enable_kv_cache_reuse: bool = True
    enable_chunked_context: bool = False
    batch_scheduler_policy: str = "guaranteed_no_evict"
    decoding_mode: str | None = None
    cancellation_check_period_ms: int = 100
    normalize_log_probs: bool = True
    gpu_device_ids: tuple[tuple[int, ...], ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)


class _Reader:
    """model_state.cc GetParameter<T>: the string_value parsed as the C++ conversions do."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        params = config.get("parameters")
        self.params: dict[str, str] | None = None
        if isinstance(params, Mapping):
            self.params = {
                str(k): str(v.get("string_value", "")) if isinstance(v, Mapping) else ""
                for k, v in params.items()
            }
        self.warnings: list[str] = []

    def text(self, name: str) -> str:
        if self.params is None:
            raise ContractError("Model config doesn't have a parameters section")
        if name not in self.params:
            raise ContractError(f"Cannot find parameter with name: {name}")
        return self.params[name]

    def optional(self, name: str, parse: Callable[[str], Any], default: Any, note: str) -> Any:
        """An optional parameter: absent or unparsable means the default and a warning."""
        try:
            return parse(self.text(name))
        except ValueError as exc:  # absent (ContractError) or not parsable, as the C++ throws
            self.warnings.append(f"{name}: {exc}; {note}" if note else f"{name}: {exc}")
        return default


def cpp_int(text: str) -> int:
    """std::stoi: leading whitespace, a sign and digits; the rest of the string is ignored."""
    match = _INT.match(text)
    if match is None:
        raise ValueError(f"stoi: no conversion of {text!r}")
    return int(match.group(0))


def cpp_float(text: str) -> float:
    """std::stof: the longest leading number; nothing numeric at the start is an error."""
    match = _FLOAT.match(text)
    if match is None:
        raise ValueError(f"stof: no conversion of {text!r}")
    return float(match.group(0))


def cpp_bool(text: str) -> bool:
    """model_state.cc GetParameter<bool>: exactly these spellings, else an error."""
    if text in ("True", "true", "TRUE", "1"):
        return True
    if text in ("False", "false", "FALSE", "0"):
        return False
    raise ValueError(f"Cannot convert {text} to a boolean.")


def _device_ids(text: str) -> tuple[tuple[int, ...], ...]:
    # model_state.cc LoadParameters: ';' separates instances, ',' the GPUs of one instance
    groups = []
    for part in text.split(";"):
        ids = tuple(cpp_int(item) for item in part.split(",") if item.strip())
        if not ids:
            raise ValueError("Cannot convert empty string to vector of vector of ints")
        groups.append(ids)
    return tuple(groups)


def _placeholder(value: str) -> bool:
    return not value or value.startswith("${")


def read_parameters(config: Mapping[str, Any], locate: Callable[[str], Path | None]) -> Parameters:
    """The parameters, checked in the order the backend reads them; the first failure raises.

    ``locate`` maps ``gpt_model_path`` and ``xgrammar_tokenizer_info_path`` to what exists on
    this machine, or None.
    """
    r = _Reader(config)
    try:
        kind = r.text("gpt_model_type")
    except ContractError as exc:
        raise _load_error(str(exc), "set gpt_model_type to inflight_fused_batching") from None
    if kind not in BATCHING:
        raise _load_error(
            "Invalid gpt_model_type. Must be v1/inflight_batching/inflight_fused_batching.",
            f"got {kind!r}",
        )
    beam = r.optional("max_beam_width", cpp_int, 1, "using 1")
    kv_tokens = r.optional("max_tokens_in_paged_kv_cache", cpp_int, None, "using the default")
    kv_fraction = r.optional("kv_cache_free_gpu_mem_fraction", cpp_float, None, "using 0.9")
    reuse = r.optional("enable_kv_cache_reuse", cpp_bool, True, "using true")
    chunked = r.optional("enable_chunked_context", cpp_bool, False, "using false")
    normalize = r.optional("normalize_log_probs", cpp_bool, True, "using true")
    policy = r.optional("batch_scheduler_policy", str, "guaranteed_no_evict", "")
    if policy not in SCHEDULER_POLICIES:
        r.warnings.append(
            "batch_scheduler_policy parameter was not found or is invalid (must be "
            "max_utilization or guaranteed_no_evict); using guaranteed_no_evict"
        )
        policy = "guaranteed_no_evict"
    mode = r.optional("decoding_mode", str, None, "")
    if mode is not None and mode not in DECODING_MODES:
        r.warnings.append(f"decoding_mode {mode!r} is invalid; using the default")
        mode = None
    if mode == "lookahead" and not all(r.params and k in r.params for k in LOOKAHEAD_KEYS):
        raise _load_error(
            "Decoding mode is set to lookahead but lookahead parameters are not specified. "
            "Please set parameters lookahead_window_size, lookahead_ngram_size, and "
            "lookahead_verification_set_size.",
            "add the three parameters or choose another decoding_mode",
        )
    devices = r.optional("gpu_device_ids", _device_ids, (), "set automatically")
    for name in ALWAYS_READ:
        try:
            r.text(name)
        except ContractError as exc:
            raise _load_error(
                str(exc), f'add parameters {{ key: "{name}" value: {{ string_value: "" }} }}'
            ) from None
    guided, info = r.text("guided_decoding_backend"), r.text("xgrammar_tokenizer_info_path")
    if not _placeholder(guided) and not _placeholder(info):
        if locate(info) is None:
            raise _load_error(
                f"Xgrammar's tokenizer info path at {info} does not exist.",
                "point xgrammar_tokenizer_info_path at the file or leave it empty",
            )
        if guided != "xgrammar":
            raise _load_error(
                "Guided decoding is currently supported with 'xgrammar' backend. Invalid "
                "guided_decoding_backend parameter provided.",
                "set it to xgrammar or leave it empty",
            )
    engine = r.optional("gpt_model_path", str, "", "left empty")
    found = locate(engine) if engine else None
    if found is None:
        encoder = r.optional("encoder_model_path", str, "", "left empty")
        if encoder:
            raise _load_error(
                "encoder_model_path is set: encoder-decoder engines are not run by the CPU "
                "stand-in of the tensorrtllm backend",
                "serve this model with NVIDIA's Triton TensorRT-LLM container",
            )
        where = f" ({engine!r} does not exist here)" if engine else ""
        raise _load_error(
            f"Both encoder and decoder model paths are empty{where}",
            "set gpt_model_path to the engine folder (tritonops build --dry-run lays a stand-in)",
        )
    exclude = r.optional("exclude_input_in_output", cpp_bool, False, "using false")
    period = r.optional("cancellation_check_period_ms", cpp_int, 100, "using 100 ms")
    return Parameters(
        batching=BATCHING[kind],
        engine_path=str(found),
        exclude_input_in_output=exclude,
        max_beam_width=beam,
        kv_cache_free_gpu_mem_fraction=kv_fraction,
        max_tokens_in_paged_kv_cache=kv_tokens,
        enable_kv_cache_reuse=reuse,
        enable_chunked_context=chunked,
        batch_scheduler_policy=policy,
        decoding_mode=mode,
        cancellation_check_period_ms=period,
        normalize_log_probs=normalize,
        gpu_device_ids=devices,
        warnings=tuple(r.warnings),
    )


def logits_type(config: Mapping[str, Any]) -> str:
    """model_state.cc LoadParameters: the data type of the first logits output in the config.

    The backend checks the engine's logits against it; the stand-in answers in that type
    (TYPE_FP32 or TYPE_FP16) and refuses any other.
    """
    for output in config.get("output") or []:
        if isinstance(output, Mapping) and output.get("name") in (
            "generation_logits",
            "context_logits",
        ):
            kind = str(output.get("data_type", "TYPE_FP32"))
            if kind not in ("TYPE_FP32", "TYPE_FP16"):
                # fillTritonResponse throws this for any other logits type
                raise _load_error("Logits type is not supported", f"got {kind}; use TYPE_FP32")
            return kind
    return "TYPE_FP32"


def locator(model_folder: Path) -> Callable[[str], Path | None]:
    """Finds ``gpt_model_path`` here: as written, else ``/models/...`` under the served repository.

    NVIDIA's images mount the repository at ``/models``, which is where the rendered
    ``gpt_model_path`` points; locally the repository is wherever it is served from.
    """
    repository = model_folder.parent

    def locate(path: str) -> Path | None:
        candidate = Path(path)
        if candidate.exists():
            return candidate
        prefix = SERVER_MOUNT + "/"
        if path.startswith(prefix):
            local = repository / path[len(prefix) :]
            if local.exists():
                return local
        return None

    return locate


def word_lists(flat: NDArray[Any]) -> list[list[int]]:
    """utils.cc convertWordList: ``[ids..., offsets...]`` (one row of a [2, L] tensor) to words.

    The second half holds each word's end offset into the first half, ascending, padded with -1.
    """
    values = [int(v) for v in np.asarray(flat).reshape(-1)]
    shown = " ".join(str(v) for v in values) + " "
    if len(values) % 2:
        raise ContractError(f"Sparse list must not have odd length: {shown}")
    count = len(values) // 2
    words: list[list[int]] = []
    start = 0
    for i in range(count, len(values)):
        if values[i] == -1:
            if any(v != -1 for v in values[i + 1 :]):
                raise ContractError(f"Sparse list must not have additional -1s: {shown}")
            break
        if values[i] > count:
            raise ContractError(f"Sparse list must not have out-of-bound offsets: {shown}")
        if i != count and values[i] <= values[i - 1]:
            raise ContractError(f"Sparse list must not have non-increasing offsets: {shown}")
        words.append(values[start : values[i]])
        start = max(start, values[i])
    return words


@dataclass(frozen=True)
class Request:
    """One sequence of a request (a request with batch size B makes B of these)."""

    input_ids: list[int]
    max_new_tokens: int
    streaming: bool
    exclude_input_in_output: bool
    end_id: int | None
    beam_width: int = 1
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 0.0
    seed: int = 0
    min_tokens: int = 0
    num_return_sequences: int = 1
    stop_words: list[list[int]] = field(default_factory=list)
    bad_words: list[list[int]] = field(default_factory=list)
    return_log_probs: bool = False
    return_context_logits: bool = False
    return_generation_logits: bool = False
    batch_index: int = 0


def _scalar(inputs: Mapping[str, NDArray[Any]], name: str, row: int) -> Any | None:
    array = inputs.get(name)
    if array is None or array.size == 0:
        return None
    flat = np.asarray(array).reshape(array.shape[0], -1) if array.ndim else array.reshape(1, 1)
    return flat[min(row, flat.shape[0] - 1), 0].item()


def requests_from_inputs(
    inputs: Mapping[str, NDArray[Any]], params: Parameters, decoupled: bool
) -> list[Request]:
    """utils.cc createRequestsFromInputTensors, for decoder-only models, split per batch row."""
    ids = inputs.get("input_ids")
    if ids is None:
        raise ContractError("input_ids or encoder_input_features is not present in the request.")
    ids = np.asarray(ids)
    if ids.ndim == 1:
        ids = ids.reshape(1, -1)
    batch = ids.shape[0]
    streaming = bool(_scalar(inputs, "streaming", 0) or False)
    # streaming is read on its own, from the first element (getRequestBooleanInputTensor);
    # readInputsTensors skips it and stop
    if not decoupled and batch > 1:
        raise ContractError(
            "Batch size > 1 requires the tensorrt_llm backend to be using decoupled "
            "transaction policy"
        )
    if streaming and not decoupled:
        raise ContractError(
            "Streaming is only supported if model is deployed using decoupled mode."
        )
    lengths = inputs.get("input_lengths")
    out: list[Request] = []
    for row in range(batch):
        tokens = ids[row]
        if batch > 1:  # splitBatchInputsTensors: input_lengths strips the padding of each row
            if lengths is None:
                raise ContractError("input lengths tensor not provided")
            tokens = tokens[: int(np.asarray(lengths).reshape(-1)[row])]
        new = _scalar(inputs, "request_output_len", row)
        if new is None:
            raise ContractError("request_output_len is not present in the request")
        exclude = _scalar(inputs, "exclude_input_in_output", row)
        top_p = _scalar(inputs, "runtime_top_p", row)
        words = {name: inputs.get(name) for name in ("stop_words_list", "bad_words_list")}
        end_id = _scalar(inputs, "end_id", row)
        out.append(
            Request(
                input_ids=[int(t) for t in tokens],
                max_new_tokens=int(new),
                streaming=streaming,
                exclude_input_in_output=params.exclude_input_in_output
                if exclude is None
                else bool(exclude),
                # end_id: "If not specified, defaults to -1" (docs/model_config.md): never ends
                end_id=None if end_id is None or int(end_id) < 0 else int(end_id),
                beam_width=int(_scalar(inputs, "beam_width", row) or 1),
                temperature=float(_scalar(inputs, "temperature", row) or 1.0),
                top_k=int(_scalar(inputs, "runtime_top_k", row) or 0),
                # getSamplingConfigFromTensors: a top_p <= 0 counts as not given
                top_p=float(top_p) if top_p is not None and top_p > 0 else 0.0,
                seed=int(_scalar(inputs, "seed", row) or _scalar(inputs, "random_seed", row) or 0),
                min_tokens=int(_scalar(inputs, "min_tokens", row) or 0),
                num_return_sequences=int(_scalar(inputs, "num_return_sequences", row) or 1),
                stop_words=_words(words["stop_words_list"], row),
                bad_words=_words(words["bad_words_list"], row),
                return_log_probs=bool(_scalar(inputs, "return_log_probs", row) or False),
                return_context_logits=bool(_scalar(inputs, "return_context_logits", row) or False),
                return_generation_logits=bool(
                    _scalar(inputs, "return_generation_logits", row) or False
                ),
                batch_index=row,
            )
        )
    return out


def _words(array: NDArray[Any] | None, row: int) -> list[list[int]]:
    if array is None or array.size == 0:
        return []
    array = np.asarray(array)
    if array.ndim == 2:
        array = array.reshape(1, *array.shape)
    return [w for w in word_lists(array[min(row, array.shape[0] - 1)]) if w]


def checked_for_engine(request: Request, limits: Mapping[str, int]) -> tuple[Request, str | None]:
    """The executor's request checks (TensorRT-LLM trtGptModel validateRequest); a warning or None.

    The prompt must fit max_input_len; prompt + output longer than max_seq_len has its output
    shortened with a warning; beam width 0 or less is refused.
    """
    prompt = len(request.input_ids)
    if prompt > limits["max_input_len"]:
        raise ContractError(
            f"Prompt length ({prompt}) exceeds maximum input length ({limits['max_input_len']})."
        )
    if request.beam_width <= 0:
        raise ContractError(
            f"Requested value: {request.beam_width} for beamWidth is invalid. To de-activate "
            "beam searching set beamWidth to 1 instead."
        )
    if request.beam_width > 1 or request.num_return_sequences > 1:
        raise ContractError(
            f"beam_width {request.beam_width} / num_return_sequences "
            f"{request.num_return_sequences}: the CPU stand-in of the tensorrtllm backend "
            "generates one sequence per request (greedy or sampled) — send 1, or serve with "
            "NVIDIA's Triton TensorRT-LLM container"
        )
    if request.max_new_tokens < 0:
        raise ContractError(f"request_output_len must be >= 0 (got {request.max_new_tokens})")
    limit = limits["max_seq_len"]
    if prompt + request.max_new_tokens > limit:
        shortened = limit - prompt
        warning = (
            f"Prompt length + number of requested output tokens ({prompt} + "
            f"{request.max_new_tokens}) exceeds maximum sequence length ({limit}). Number of "
            f"requested output tokens is changed to ({shortened})."
        )
        return _replace_new(request, shortened), warning
    return request, None


def _replace_new(request: Request, new: int) -> Request:
    return replace(request, max_new_tokens=new)


def output_arrays(
    request: Request,
    tokens: list[int],
    log_probs: list[float],
    requested: set[str],
    context_logits: NDArray[np.float32] | None = None,
    generation_logits: list[NDArray[np.float32]] | None = None,
    batch_size: int = 1,
    logits_type: str = "TYPE_FP32",
) -> dict[str, NDArray[Any]]:
    """One response's tensors, shaped as model_instance_state.cc fillTritonResponse shapes them.

    output_ids [1, beams, length] and sequence_length [1, beams] always; the log-prob and logit
    outputs only when asked for and produced, logits in ``logits_type``; batch_index only for a
    batch of more than one.
    """
    logits = np.float16 if logits_type == "TYPE_FP16" else np.float32
    out: dict[str, NDArray[Any]] = {
        "output_ids": np.asarray(tokens, dtype=np.int32).reshape(1, 1, len(tokens)),
        "sequence_length": np.asarray([[len(tokens)]], dtype=np.int32),
    }
    if request.return_log_probs:
        if "output_log_probs" in requested:
            out["output_log_probs"] = np.asarray(log_probs, dtype=np.float32).reshape(1, 1, -1)
        if "cum_log_probs" in requested:
            out["cum_log_probs"] = np.asarray([[sum(log_probs)]], dtype=np.float32)
    if context_logits is not None and "context_logits" in requested:
        out["context_logits"] = context_logits.reshape(1, *context_logits.shape).astype(logits)
    if generation_logits and "generation_logits" in requested:
        stacked = np.stack(generation_logits).astype(logits)
        out["generation_logits"] = stacked.reshape(1, 1, *stacked.shape)
    if batch_size > 1 and "batch_index" in requested:
        out["batch_index"] = np.asarray([[request.batch_index]], dtype=np.int32)
    return out
