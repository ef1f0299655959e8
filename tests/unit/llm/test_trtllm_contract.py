"""The tensorrtllm stand-in's contract: the real backend's parameter, request and output rules.

Each case is a rule of the TensorRT-LLM backend (NVIDIA/TensorRT-LLM triton_backend/
inflight_batcher_llm/src: model_state.cc, model_instance_state.cc, utils.cc; the executor's
request validation) written as the outcome that source gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tritonops.llm.trtllm_contract import (
    ContractError,
    Parameters,
    Request,
    checked_for_engine,
    cpp_bool,
    cpp_float,
    cpp_int,
    locator,
    logits_type,
    output_arrays,
    read_parameters,
    requests_from_inputs,
    word_lists,
)

REQUIRED = {
    "gpt_model_type": "inflight_fused_batching",
    "gpt_model_path": "/engine",
    "tokenizer_dir": "",
    "xgrammar_tokenizer_info_path": "",
    "guided_decoding_backend": "",
}
LIMITS = {"max_batch_size": 8, "max_input_len": 16, "max_seq_len": 24, "max_beam_width": 1}


def _config(**params: str | None) -> dict[str, Any]:
    merged = {**REQUIRED, **params}
    return {
        "parameters": {k: {"string_value": v} for k, v in merged.items() if v is not None},
    }


def _found(path: str) -> Path | None:
    # as the stand-in's locator: the engine stands at /engine, any other path must exist here
    return Path(path) if path == "/engine" or Path(path).exists() else None


def _read(**params: str | None) -> Parameters:
    return read_parameters(_config(**params), _found)


def test_the_example_parameters_read_with_their_types() -> None:
    params = _read(
        max_beam_width="1",
        kv_cache_free_gpu_mem_fraction="0.85",
        max_tokens_in_paged_kv_cache="4096",
        exclude_input_in_output="true",
        enable_kv_cache_reuse="false",
        batch_scheduler_policy="max_utilization",
        gpu_device_ids="0,1;2",
    )
    assert params.batching == "inflight"
    assert params.engine_path == "/engine"
    assert params.kv_cache_free_gpu_mem_fraction == pytest.approx(0.85)
    assert params.max_tokens_in_paged_kv_cache == 4096
    assert params.exclude_input_in_output is True
    assert params.enable_kv_cache_reuse is False
    assert params.batch_scheduler_policy == "max_utilization"
    assert params.gpu_device_ids == ((0, 1), (2,))


@pytest.mark.parametrize(
    ("value", "batching"), [("V1", "static"), ("v1", "static"), ("inflight_batching", "inflight")]
)
def test_gpt_model_type_accepts_the_backends_spellings(value: str, batching: str) -> None:
    assert _read(gpt_model_type=value).batching == batching


def test_gpt_model_type_is_required() -> None:
    with pytest.raises(ContractError, match="Cannot find parameter with name: gpt_model_type"):
        _read(gpt_model_type=None)


def test_a_config_without_parameters_is_refused_in_the_backends_words() -> None:
    with pytest.raises(ContractError, match="Model config doesn't have a parameters section"):
        read_parameters({}, _found)


def test_an_unknown_batching_strategy_is_refused() -> None:
    with pytest.raises(
        ContractError, match=r"Invalid gpt_model_type\. Must be v1/inflight_batching/inflight_fused"
    ):
        _read(gpt_model_type="inflight")


@pytest.mark.parametrize(
    "name", ["tokenizer_dir", "xgrammar_tokenizer_info_path", "guided_decoding_backend"]
)
def test_the_guided_decoding_keys_are_read_without_a_fallback(name: str) -> None:
    with pytest.raises(ContractError, match=f"Cannot find parameter with name: {name}") as caught:
        _read(**{name: None})
    assert "unexpected error when creating modelInstanceState" in str(caught.value)


def test_guided_decoding_needs_an_existing_info_file_and_xgrammar(tmp_path: Path) -> None:
    with pytest.raises(
        ContractError, match=r"tokenizer info path at /nowhere\.json does not exist"
    ):
        _read(guided_decoding_backend="xgrammar", xgrammar_tokenizer_info_path="/nowhere.json")
    info = tmp_path / "info.json"
    info.write_text("{}")
    with pytest.raises(ContractError, match="supported with 'xgrammar' backend"):
        _read(guided_decoding_backend="outlines", xgrammar_tokenizer_info_path=str(info))
    # an unfilled template placeholder means "off", as the backend reads it
    assert _read(guided_decoding_backend="${guided_decoding_backend}").batching == "inflight"


def test_lookahead_decoding_needs_its_three_parameters() -> None:
    with pytest.raises(ContractError, match="lookahead parameters are not specified"):
        _read(decoding_mode="lookahead", lookahead_window_size="4")
    full = _read(
        decoding_mode="lookahead",
        lookahead_window_size="4",
        lookahead_ngram_size="3",
        lookahead_verification_set_size="2",
    )
    assert full.decoding_mode == "lookahead"


def test_optional_values_that_do_not_parse_fall_back_with_a_warning() -> None:
    params = _read(
        exclude_input_in_output="yes",
        batch_scheduler_policy="fifo",
        decoding_mode="greedy",
        kv_cache_free_gpu_mem_fraction="most",
    )
    assert params.exclude_input_in_output is False
    assert params.batch_scheduler_policy == "guaranteed_no_evict"
    assert params.decoding_mode is None
    assert params.kv_cache_free_gpu_mem_fraction is None
    said = " ".join(params.warnings)
    assert "Cannot convert yes to a boolean." in said
    assert "must be max_utilization or guaranteed_no_evict" in said


def test_numbers_parse_as_the_cpp_conversions_do() -> None:
    # std::stoi / std::stof read the leading number and ignore the rest
    assert cpp_int(" 12abc") == 12
    assert cpp_int("0.85") == 0
    assert cpp_float("0.85x") == pytest.approx(0.85)
    for bad in ("", "abc"):
        with pytest.raises(ValueError, match="no conversion"):
            cpp_int(bad)
    assert cpp_bool("TRUE") is True
    assert cpp_bool("0") is False
    with pytest.raises(ValueError, match="Cannot convert True  to a boolean"):
        cpp_bool("True ")


def test_a_missing_engine_path_fails_as_both_paths_empty() -> None:
    with pytest.raises(
        ContractError, match="Both encoder and decoder model paths are empty"
    ) as caught:
        _read(gpt_model_path="/models/llm/1")
    assert "'/models/llm/1' does not exist here" in str(caught.value)
    with pytest.raises(ContractError, match="Both encoder and decoder model paths are empty"):
        _read(gpt_model_path=None)
    with pytest.raises(ContractError, match="encoder-decoder engines are not run"):
        _read(gpt_model_path=None, encoder_model_path="/enc")


def test_the_server_mount_maps_onto_the_served_repository(tmp_path: Path) -> None:
    (tmp_path / "llm" / "1").mkdir(parents=True)
    locate = locator(tmp_path / "llm")
    assert locate("/models/llm/1") == tmp_path / "llm" / "1"
    assert locate(str(tmp_path / "llm" / "1")) == tmp_path / "llm" / "1"
    assert locate("/models/other/1") is None
    assert locate("/elsewhere/llm/1") is None


def test_word_lists_follow_the_sparse_offsets() -> None:
    # [ids..., offsets...]: words [5, 6] and [7], padded with 0 ids and -1 offsets
    assert word_lists(np.array([[5, 6, 7, 0], [2, 3, -1, -1]])) == [[5, 6], [7]]
    assert word_lists(np.array([[0], [-1]])) == []


@pytest.mark.parametrize(
    ("flat", "message"),
    [
        ([1, 2, 3], "must not have odd length: 1 2 3"),
        ([5, 6, 3, -1], "must not have out-of-bound offsets"),
        ([5, 6, 2, 1], "must not have non-increasing offsets"),
        ([5, 6, 7, -1, 3, -1], "must not have additional -1s"),
    ],
)
def test_malformed_word_lists_are_refused(flat: list[int], message: str) -> None:
    with pytest.raises(ContractError, match=message):
        word_lists(np.array(flat))


def _inputs(**extra: Any) -> dict[str, Any]:
    base = {
        "input_ids": np.array([[1, 2, 3]], dtype=np.int32),
        "input_lengths": np.array([3], dtype=np.int32),
        "request_output_len": np.array([4], dtype=np.int32),
    }
    base.update({k: np.asarray(v) for k, v in extra.items()})
    return base


PARAMS = Parameters(batching="inflight", engine_path="/engine")


def test_a_request_reads_its_options() -> None:
    (request,) = requests_from_inputs(
        _inputs(
            end_id=[2],
            runtime_top_k=[5],
            runtime_top_p=[0.0],
            temperature=[0.5],
            seed=[np.uint64(9)],
            exclude_input_in_output=[True],
            stop_words_list=[[[4, 0], [1, -1]]],
        ),
        PARAMS,
        decoupled=True,
    )
    assert request.input_ids == [1, 2, 3]
    assert request.max_new_tokens == 4
    assert request.end_id == 2
    assert request.top_k == 5
    assert request.top_p == 0.0  # a top_p <= 0 counts as not given
    assert request.temperature == pytest.approx(0.5)
    assert request.seed == 9
    assert request.exclude_input_in_output is True
    assert request.stop_words == [[4]]


def test_request_defaults_come_from_the_parameters_and_the_docs() -> None:
    exclude = Parameters(batching="inflight", engine_path="/e", exclude_input_in_output=True)
    (request,) = requests_from_inputs(_inputs(end_id=[-1]), exclude, decoupled=False)
    assert request.exclude_input_in_output is True
    assert request.end_id is None  # -1: no end token
    assert request.streaming is False


def test_a_batch_splits_by_input_lengths_only_when_decoupled() -> None:
    inputs = _inputs(
        input_ids=np.array([[1, 2, 3], [4, 5, 0]], dtype=np.int32),
        input_lengths=np.array([3, 2], dtype=np.int32),
        request_output_len=np.array([4, 2], dtype=np.int32),
    )
    first, second = requests_from_inputs(inputs, PARAMS, decoupled=True)
    assert first.input_ids == [1, 2, 3]
    assert second.input_ids == [4, 5]
    assert second.max_new_tokens == 2
    assert second.batch_index == 1
    with pytest.raises(ContractError, match="Batch size > 1 requires the tensorrt_llm backend"):
        requests_from_inputs(inputs, PARAMS, decoupled=False)


def test_streaming_needs_a_decoupled_model() -> None:
    with pytest.raises(ContractError, match="Streaming is only supported if model is deployed"):
        requests_from_inputs(_inputs(streaming=[True]), PARAMS, decoupled=False)


def test_request_output_len_is_required() -> None:
    inputs = _inputs()
    del inputs["request_output_len"]
    with pytest.raises(ContractError, match="request_output_len is not present in the request"):
        requests_from_inputs(inputs, PARAMS, decoupled=True)


def _request(**changes: Any) -> Request:
    fields: dict[str, Any] = {
        "input_ids": [1] * 10,
        "max_new_tokens": 4,
        "streaming": False,
        "exclude_input_in_output": True,
        "end_id": None,
    }
    fields.update(changes)
    return Request(**fields)


def test_the_engine_limits_hold_as_the_executor_checks_them() -> None:
    with pytest.raises(
        ContractError, match=r"Prompt length \(17\) exceeds maximum input length \(16\)."
    ):
        checked_for_engine(_request(input_ids=[1] * 17), LIMITS)
    shortened, warning = checked_for_engine(_request(max_new_tokens=20), LIMITS)
    assert shortened.max_new_tokens == 14
    assert warning is not None
    assert "Number of requested output tokens is changed to (14)" in warning
    with pytest.raises(ContractError, match="Requested value: 0 for beamWidth is invalid"):
        checked_for_engine(_request(beam_width=0), LIMITS)
    with pytest.raises(ContractError, match="generates one sequence per request"):
        checked_for_engine(_request(beam_width=2), LIMITS)
    assert checked_for_engine(_request(), LIMITS) == (_request(), None)


def test_outputs_are_shaped_as_the_backend_fills_them() -> None:
    request = _request(return_log_probs=True, batch_index=1)
    wanted = {"output_ids", "sequence_length", "output_log_probs", "cum_log_probs", "batch_index"}
    out = output_arrays(request, [7, 8, 9], [-0.5, -1.0, -0.25], wanted, batch_size=2)
    assert out["output_ids"].shape == (1, 1, 3)
    assert out["output_ids"].dtype == np.int32
    assert out["sequence_length"].tolist() == [[3]]
    assert out["output_log_probs"].shape == (1, 1, 3)
    assert out["cum_log_probs"].tolist() == [[-1.75]]
    assert out["batch_index"].tolist() == [[1]]
    # log probs only when asked for, batch_index only for a batch of more than one
    plain = output_arrays(_request(), [7], [-0.5], wanted, batch_size=1)
    assert sorted(plain) == ["output_ids", "sequence_length"]


def test_logits_come_in_the_type_the_config_declares() -> None:
    config = {
        "output": [{"name": "output_ids"}, {"name": "context_logits", "data_type": "TYPE_FP16"}]
    }
    assert logits_type(config) == "TYPE_FP16"
    assert logits_type({"output": []}) == "TYPE_FP32"
    with pytest.raises(ContractError, match="Logits type is not supported"):
        logits_type({"output": [{"name": "generation_logits", "data_type": "TYPE_BF16"}]})
    request = _request(return_context_logits=True)
    logits = np.ones((10, 49), dtype=np.float32)
    out = output_arrays(request, [1], [0.0], {"context_logits"}, logits, logits_type="TYPE_FP16")
    assert out["context_logits"].dtype == np.float16
    assert out["context_logits"].shape == (1, 10, 49)
