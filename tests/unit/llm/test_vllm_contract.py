"""The vllm stand-in's request and model.json rules, without a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tritonops.llm import vllm_contract as C
from tritonops.spec.vllm import VllmEngineArgs


def test_the_stand_in_knows_the_keys_the_project_file_types() -> None:
    assert set(C.ENGINE_KEYS) == set(VllmEngineArgs.model_fields)


@pytest.mark.parametrize(
    "args",
    [
        {"model": "m", "gpu_memory_utilization": 1.5},
        {"model": "m", "gpu_memory_utilization": 0},
        {"model": "m", "tensor_parallel_size": 0},
        {"model": "m", "max_model_len": -1},
        {"model": "m", "gpu_memory_utilisation": 0.5},
        {"model": "", "dtype": "auto"},
    ],
)
def test_model_json_is_refused_where_the_project_file_is(args: dict[str, Any]) -> None:
    assert C.engine_problem(args) is not None
    with pytest.raises(ValidationError):
        VllmEngineArgs.model_validate(args)


def test_an_unknown_key_fails_as_vllms_engine_args_would() -> None:
    problem = C.engine_problem({"model": "m", "max_seq_len": 8})
    assert problem == "AsyncEngineArgs.__init__() got an unexpected keyword argument 'max_seq_len'"
    assert C.engine_problem({"model": "m", "gpu_memory_utilization": 1}) is None


def test_model_json_must_be_in_the_version_folder(tmp_path: Path) -> None:
    with pytest.raises(C.ContractError, match=r"'model\.json' containing vllm engine args"):
        C.read_engine_args(str(tmp_path))
    (tmp_path / "model.json").write_text("[1]")
    with pytest.raises(C.ContractError, match="JSON object"):
        C.read_engine_args(str(tmp_path))
    (tmp_path / "model.json").write_text(json.dumps({"model": "m"}))
    assert C.read_engine_args(str(tmp_path)) == {"model": "m"}


def test_a_local_checkpoint_gives_its_vocabulary_and_a_seed(tmp_path: Path) -> None:
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "config.json").write_text(json.dumps({"vocab_size": 32000, "hidden_size": 2048}))
    shape, seed = C.decoder_config({"model": str(ckpt), "seed": 5}, str(tmp_path))
    assert shape["vocab_size"] == 32000
    assert shape["hidden_size"] == C.SMALL["hidden_size"]  # shrunk to run on a CPU
    assert seed == 5
    hub, hub_seed = C.decoder_config({"model": "org/model", "max_model_len": 1024}, str(tmp_path))
    assert hub["max_position_embeddings"] == 1024
    assert hub["vocab_size"] >= C.MIN_VOCAB
    assert hub_seed == C.decoder_config({"model": "org/model"}, str(tmp_path))[1]


def test_sampling_parameters_take_vllm_defaults_and_convert_types() -> None:
    assert C.parse_sampling("") == C.Sampling()
    parsed = C.parse_sampling(json.dumps({"max_tokens": "8", "temperature": 0, "stop": "\n"}))
    assert (parsed.max_tokens, parsed.greedy, parsed.stop) == (8, True, ("\n",))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"max_tokens": 0}, "max_tokens must be at least 1"),
        ({"temperature": -1}, "temperature must be non-negative"),
        ({"top_p": 0}, "top_p must be in (0, 1]"),
        ({"top_k": -2}, "top_k must be -1"),
        ({"min_tokens": 9, "max_tokens": 4}, "min_tokens must be less than or equal"),
        ({"max_tokens": "many"}, "must be a number"),
        ({"max_tokenz": 3}, "unknown sampling parameter(s) max_tokenz"),
        ({"stop": 3}, "stop must be a string"),
    ],
)
def test_sampling_parameters_vllm_refuses(params: dict[str, Any], words: str) -> None:
    with pytest.raises(C.ContractError) as caught:
        C.parse_sampling(json.dumps(params))
    assert words in str(caught.value)


def test_bad_json_is_a_request_error() -> None:
    with pytest.raises(C.ContractError, match="not valid JSON"):
        C.parse_sampling("{max_tokens: 3}")


def test_the_prompt_is_prepended_unless_excluded_or_streaming() -> None:
    assert C.prepend_input(None, stream=False) is True
    assert C.prepend_input(None, stream=True) is False
    assert C.prepend_input(True, stream=False) is False
    assert C.prepend_input(True, stream=True) is False
    with pytest.raises(C.ContractError, match="When streaming"):
        C.prepend_input(False, stream=True)


def test_the_tokenizer_counts_words_and_decodes_whole_words() -> None:
    ids = C.encode("Hello, world hello")
    # <s>, then hello / , / world / hello: a word is the same token whatever its case
    assert len(ids) == 5
    assert ids[0] == C.BOS_ID
    assert ids[1] == ids[4]
    assert all(3 <= i < C.MIN_VOCAB for i in ids[1:])
    assert C.decode_token(C.EOS_ID) == ""
    assert {C.decode_token(t) for t in range(3, 600)} == {" " + w for w in C.WORDS}


def test_a_stop_string_ends_the_text_before_it() -> None:
    stop = C.StopText((" END",))
    sent = [stop.add(p) for p in (" a", " b", " END")]
    assert sent[2] == ("", True)
    assert stop.text == " a b"


def test_no_model_loads_vllms_default_but_the_project_file_asks_for_one() -> None:
    # AsyncEngineArgs has a default model, so a hand-written model.json without one loads;
    # the project file asks for it because a project always means a model of its own
    assert C.engine_problem({"dtype": "auto"}) is None
    with pytest.raises(ValidationError):
        VllmEngineArgs.model_validate({"dtype": "auto"})
