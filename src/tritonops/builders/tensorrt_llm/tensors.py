"""The tensors of the in-flight batching model set, and how the ensemble wires them.

Names, data types and dims are the tensorrtllm backend's own (``inflight_batcher_llm``); the
preprocessing and postprocessing names are those our python models read and emit. Tables, not
code: each request option appears once and every model derives its view from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tritonops.model_config import DataType, ModelInput, ModelOutput, Reshape

INT32 = DataType.TYPE_INT32
UINT64 = DataType.TYPE_UINT64
FP32 = DataType.TYPE_FP32
FP16 = DataType.TYPE_FP16
BOOL = DataType.TYPE_BOOL
STRING = DataType.TYPE_STRING

SCALAR = [1]
RAGGED = [-1]
WORDS = [2, -1]


@dataclass(frozen=True)
class Option:
    """A per-request option the ensemble takes and hands to tensorrt_llm as it is."""

    ensemble: str
    backend: str
    data_type: DataType
    dims: tuple[int, ...] = (1,)


# sampling and output options: ensemble name -> tensorrt_llm input name (renamed where the backend
# says it differently: top_k is runtime_top_k, stream is streaming, ...)
OPTIONS: tuple[Option, ...] = (
    Option("beam_width", "beam_width", INT32),
    Option("temperature", "temperature", FP32),
    Option("top_k", "runtime_top_k", INT32),
    Option("top_p", "runtime_top_p", FP32),
    Option("length_penalty", "len_penalty", FP32),
    Option("repetition_penalty", "repetition_penalty", FP32),
    Option("presence_penalty", "presence_penalty", FP32),
    Option("frequency_penalty", "frequency_penalty", FP32),
    Option("min_tokens", "min_tokens", INT32),
    Option("seed", "seed", UINT64),
    Option("num_return_sequences", "num_return_sequences", INT32),
    Option("return_log_probs", "return_log_probs", BOOL),
    Option("return_context_logits", "return_context_logits", BOOL),
    Option("return_generation_logits", "return_generation_logits", BOOL),
    Option("exclude_input_in_output", "exclude_input_in_output", BOOL),
    Option("stream", "streaming", BOOL),
)

LORA_OPTIONS: tuple[Option, ...] = (
    Option("lora_task_id", "lora_task_id", UINT64),
    Option("lora_weights", "lora_weights", FP16, (-1, -1)),
    Option("lora_config", "lora_config", INT32, (-1, 3)),
)

# tensorrt_llm outputs that reach the ensemble's outputs unchanged (output_ids goes to detokenize)
PASSED_OUTPUTS: tuple[tuple[str, DataType, tuple[int, ...]], ...] = (
    ("cum_log_probs", FP32, (-1,)),
    ("output_log_probs", FP32, (-1, -1)),
    ("context_logits", FP32, (-1, -1)),
    ("generation_logits", FP32, (-1, -1, -1)),
    ("batch_index", INT32, (1,)),
    ("sequence_index", INT32, (1,)),
)

# preprocessing: ensemble input -> preprocessing input (data type, dims, optional)
PRE_INPUTS: tuple[tuple[str, str, DataType, list[int], bool], ...] = (
    ("text_input", "QUERY", STRING, SCALAR, False),
    ("max_tokens", "REQUEST_OUTPUT_LEN", INT32, SCALAR, False),
    ("bad_words", "BAD_WORDS_DICT", STRING, RAGGED, True),
    ("stop_words", "STOP_WORDS_DICT", STRING, RAGGED, True),
    ("embedding_bias_words", "EMBEDDING_BIAS_WORDS", STRING, RAGGED, True),
    ("embedding_bias_weights", "EMBEDDING_BIAS_WEIGHTS", FP32, RAGGED, True),
    ("end_id", "END_ID", INT32, SCALAR, True),
    ("pad_id", "PAD_ID", INT32, SCALAR, True),
)

# preprocessing output -> intermediate tensor -> tensorrt_llm input (data type, dims, optional)
PRE_TO_ENGINE: tuple[tuple[str, str, str, DataType, list[int], bool], ...] = (
    ("INPUT_ID", "_INPUT_ID", "input_ids", INT32, RAGGED, False),
    ("REQUEST_INPUT_LEN", "_REQUEST_INPUT_LEN", "input_lengths", INT32, SCALAR, False),
    ("REQUEST_OUTPUT_LEN", "_REQUEST_OUTPUT_LEN", "request_output_len", INT32, SCALAR, False),
    ("BAD_WORDS_IDS", "_BAD_WORDS_IDS", "bad_words_list", INT32, WORDS, True),
    ("STOP_WORDS_IDS", "_STOP_WORDS_IDS", "stop_words_list", INT32, WORDS, True),
    ("EMBEDDING_BIAS", "_EMBEDDING_BIAS", "embedding_bias", FP32, RAGGED, True),
    ("OUT_END_ID", "_PREPROCESSOR_END_ID", "end_id", INT32, SCALAR, True),
    ("OUT_PAD_ID", "_PREPROCESSOR_PAD_ID", "pad_id", INT32, SCALAR, True),
)

# tensorrt_llm output -> intermediate -> postprocessing input
ENGINE_TO_POST: tuple[tuple[str, str, str, DataType, list[int]], ...] = (
    ("output_ids", "_TOKENS_BATCH", "TOKENS_BATCH", INT32, [-1, -1]),
    ("sequence_length", "_SEQUENCE_LENGTH", "SEQUENCE_LENGTH", INT32, [-1]),
)
TEXT_OUTPUT = ("OUTPUT", "text_output", STRING, [-1])


def options(lora: bool) -> tuple[Option, ...]:
    return OPTIONS + (LORA_OPTIONS if lora else ())


def _engine_input(name: str, data_type: DataType, dims: list[int], optional: bool) -> ModelInput:
    # scalars are reshaped to [] as the backend reads them; ragged ones batch unpadded
    if dims == SCALAR:
        return ModelInput(
            name=name, data_type=data_type, dims=dims, reshape=Reshape(shape=[]), optional=optional
        )
    return ModelInput(
        name=name, data_type=data_type, dims=dims, optional=optional, allow_ragged_batch=True
    )


def engine_inputs(lora: bool) -> list[ModelInput]:
    tensors = [_engine_input(t[2], t[3], t[4], t[5]) for t in PRE_TO_ENGINE]
    tensors += [_engine_input(o.backend, o.data_type, list(o.dims), True) for o in options(lora)]
    return tensors


def engine_outputs() -> list[ModelOutput]:
    tensors = [ModelOutput(name=t[0], data_type=t[3], dims=t[4]) for t in ENGINE_TO_POST]
    tensors += [ModelOutput(name=n, data_type=d, dims=list(s)) for n, d, s in PASSED_OUTPUTS]
    return tensors


def preprocessing_inputs() -> list[ModelInput]:
    return [
        ModelInput(name=name, data_type=dtype, dims=dims, optional=optional)
        for _, name, dtype, dims, optional in PRE_INPUTS
    ]


def preprocessing_outputs() -> list[ModelOutput]:
    return [
        ModelOutput(name=name, data_type=dtype, dims=dims)
        for name, _, _, dtype, dims, _ in PRE_TO_ENGINE
    ]


def postprocessing_inputs() -> list[ModelInput]:
    return [
        ModelInput(name=name, data_type=dtype, dims=dims)
        for _, _, name, dtype, dims in ENGINE_TO_POST
    ]


def postprocessing_outputs() -> list[ModelOutput]:
    name, _, dtype, dims = TEXT_OUTPUT
    return [ModelOutput(name=name, data_type=dtype, dims=dims)]


def public_inputs(lora: bool) -> list[ModelInput]:
    """What clients send to the ensemble (and to the BLS model): text in, options optional."""
    tensors = [
        ModelInput(name=ens, data_type=dtype, dims=dims, optional=optional)
        for ens, _, dtype, dims, optional in PRE_INPUTS
    ]
    tensors += [
        ModelInput(name=o.ensemble, data_type=o.data_type, dims=list(o.dims), optional=True)
        for o in options(lora)
    ]
    return tensors


def public_outputs() -> list[ModelOutput]:
    _, name, dtype, dims = TEXT_OUTPUT
    tensors = [ModelOutput(name=name, data_type=dtype, dims=dims)]
    tensors += [ModelOutput(name=n, data_type=d, dims=list(s)) for n, d, s in PASSED_OUTPUTS]
    return tensors


def preprocessing_maps() -> tuple[dict[str, str], dict[str, str]]:
    inputs = {name: ens for ens, name, *_ in PRE_INPUTS}
    outputs = {name: mid for name, mid, *_ in PRE_TO_ENGINE}
    return inputs, outputs


def engine_maps(lora: bool) -> tuple[dict[str, str], dict[str, str]]:
    inputs = {backend: mid for _, mid, backend, *_ in PRE_TO_ENGINE}
    inputs.update({o.backend: o.ensemble for o in options(lora)})
    outputs = {name: mid for name, mid, *_ in ENGINE_TO_POST}
    outputs.update({name: name for name, _, _ in PASSED_OUTPUTS})
    return inputs, outputs


def postprocessing_maps() -> tuple[dict[str, str], dict[str, str]]:
    inputs = {name: mid for _, mid, name, *_ in ENGINE_TO_POST}
    return inputs, {TEXT_OUTPUT[0]: TEXT_OUTPUT[1]}
