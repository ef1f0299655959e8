"""Which models get a generate smoke, and the request each one is sent (no server needed)."""

from __future__ import annotations

import json

from tritonops.deploy.llm_smoke import MAX_TOKENS, is_llm, is_text_generator, request_arrays
from tritonops.model_config import ModelConfig, from_proto, parse_text

VLLM = """name: "vllm_model" backend: "vllm" max_batch_size: 0
model_transaction_policy { decoupled: true }
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true },
  { name: "sampling_parameters" data_type: TYPE_STRING dims: [ 1 ] optional: true }
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
"""

ENSEMBLE = """name: "llm_ensemble" platform: "ensemble" max_batch_size: 16
input [
  { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] },
  { name: "max_tokens" data_type: TYPE_INT32 dims: [ 1 ] },
  { name: "min_tokens" data_type: TYPE_INT32 dims: [ 1 ] optional: true },
  { name: "stream" data_type: TYPE_BOOL dims: [ 1 ] optional: true }
]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ -1 ] } ]
"""

ENGINE = """name: "llm" backend: "tensorrtllm" max_batch_size: 16
input [
  { name: "input_ids" data_type: TYPE_INT32 dims: [ -1 ] allow_ragged_batch: true },
  { name: "input_lengths" data_type: TYPE_INT32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "request_output_len" data_type: TYPE_INT32 dims: [ 1 ] reshape: { shape: [ ] } },
  { name: "streaming" data_type: TYPE_BOOL dims: [ 1 ] reshape: { shape: [ ] } optional: true }
]
output [
  { name: "output_ids" data_type: TYPE_INT32 dims: [ -1, -1 ] },
  { name: "sequence_length" data_type: TYPE_INT32 dims: [ -1 ] }
]
"""

PLAIN = """name: "mlp" backend: "onnxruntime" max_batch_size: 8
input [ { name: "text_input" data_type: TYPE_STRING dims: [ 1 ] } ]
output [ { name: "text_output" data_type: TYPE_STRING dims: [ 1 ] } ]
"""


def _config(text: str) -> ModelConfig:
    return from_proto(parse_text(text))


def test_llm_models_are_told_apart_from_others() -> None:
    assert is_text_generator(_config(VLLM))
    assert is_text_generator(_config(ENSEMBLE))
    assert is_llm(_config(ENGINE))
    assert not is_text_generator(_config(ENGINE))
    # text in and out but no way to ask for a length: not a generator
    assert not is_llm(_config(PLAIN))


def test_an_ensemble_gets_text_a_length_and_a_stream_flag_with_its_batch_axis() -> None:
    arrays = request_arrays(_config(ENSEMBLE), streaming=True)
    assert sorted(arrays) == ["max_tokens", "min_tokens", "stream", "text_input"]
    assert arrays["text_input"].shape == (1, 1)
    assert arrays["max_tokens"].tolist() == [[MAX_TOKENS]]
    assert arrays["stream"].tolist() == [[True]]


def test_a_vllm_model_gets_its_length_inside_sampling_parameters() -> None:
    arrays = request_arrays(_config(VLLM), streaming=True)
    assert sorted(arrays) == ["sampling_parameters", "stream", "text_input"]
    assert arrays["text_input"].shape == (1,)
    assert json.loads(arrays["sampling_parameters"][0]) == {
        "max_tokens": MAX_TOKENS,
        "min_tokens": 1,
    }


def test_an_engine_model_gets_token_ids() -> None:
    arrays = request_arrays(_config(ENGINE), streaming=False)
    assert sorted(arrays) == ["input_ids", "input_lengths", "request_output_len", "streaming"]
    assert arrays["input_ids"].shape == (1, 5)
    assert arrays["streaming"].tolist() == [[False]]
