"""Static rules taken from the stand-in backends' contracts: vllm model.json, tensorrtllm
parameters, onnxruntime non-tensor graph I/O and integer parameters (codes G001-G009, O013, O014).

The expected wording is the real backend's, as the contract modules record it; each test has a
neighbour that the backend accepts, so a rule that fires on everything fails here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import onnxruntime as ort
import pytest
from repo_builder import ONNX_CONFIG, TRTLLM_PARAMS, Repo, errors, found, zipmap_bytes

from tritonops.repository.validate import validate_repository

VLLM_CONFIG = 'name: "{name}"\nbackend: "vllm"\nmodel_transaction_policy {{ decoupled: true }}\n'
ENGINE = {"model": "facebook/opt-125m", "max_model_len": 512}


def _vllm(tmp: Path, engine: str | None, config: str | None = None) -> Repo:
    files: dict[str, str | bytes] = {"llm/config.pbtxt": config or VLLM_CONFIG.format(name="llm")}
    files["llm/1/" if engine is None else "llm/1/model.json"] = engine or ""
    return Repo(tmp / "repo").files(files)


def _codes(repo: Repo) -> set[str]:
    return {d.code for d in repo.validate().diagnostics}


# ---- vllm ------------------------------------------------------------------------------------


def test_a_vllm_model_as_the_backend_takes_it_is_valid(tmp_path: Path) -> None:
    engine = {**ENGINE, "tensor_parallel_size": 2, "enable_prefix_caching": True}
    config = VLLM_CONFIG.format(name="llm") + "instance_group [ { kind: KIND_MODEL } ]\n"
    assert found(_vllm(tmp_path, json.dumps(engine), config).validate()) == []


def test_model_json_without_a_model_loads_vllms_default_so_it_only_warns(tmp_path: Path) -> None:
    # AsyncEngineArgs has a default model: vLLM loads that one, so Triton serves the model
    report = _vllm(tmp_path, json.dumps({"max_model_len": 512})).validate()
    assert report.errors == []
    [diag] = report.warnings
    assert (diag.code, diag.file, diag.line) == ("TRITON-G010", "llm/1/model.json", 1)


def test_model_json_without_a_model_still_has_its_other_keys_checked(tmp_path: Path) -> None:
    assert "TRITON-G003" in _codes(_vllm(tmp_path, json.dumps({"max_modle_len": 512})))


def test_model_json_missing_is_located_in_the_version_folder(tmp_path: Path) -> None:
    [diag] = _vllm(tmp_path, None).validate().errors
    assert (diag.code, diag.file) == ("TRITON-G001", "llm/1/model.json")
    assert "version folder" in diag.message


def test_model_json_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    [diag] = _vllm(tmp_path, '{\n  "model": "x",\n}\n').validate().errors
    assert (diag.code, diag.file, diag.line) == ("TRITON-G002", "llm/1/model.json", 3)
    assert "not valid JSON" in diag.message


@pytest.mark.parametrize("data", [b'["model"]', b'{"model": "\xff"}'], ids=["list", "latin-1"])
def test_model_json_that_is_no_object_or_no_utf8_is_an_error(tmp_path: Path, data: bytes) -> None:
    repo = _vllm(tmp_path, "{}")
    (repo.root / "llm/1/model.json").write_bytes(data)
    assert [d.code for d in repo.validate().errors] == ["TRITON-G002"]


@pytest.mark.parametrize("kind", ["fifo", "folder", "deep"])
def test_hostile_model_json_ends_in_a_located_error(tmp_path: Path, kind: str) -> None:
    repo = _vllm(tmp_path, None)
    path = repo.root / "llm/1/model.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text('{"model": ' + "[" * 100_000 + "]" * 100_000 + "}")
    [diag] = repo.validate().errors
    assert (diag.code, diag.file) == ("TRITON-G002", "llm/1/model.json")


def test_unknown_engine_key_says_did_you_mean_at_its_line(tmp_path: Path) -> None:
    text = json.dumps({**ENGINE, "gpu_memory_utilisation": 0.8}, indent=2)
    [diag] = _vllm(tmp_path, text).validate().errors
    assert (diag.code, diag.line) == ("TRITON-G003", 4)
    assert "AsyncEngineArgs" in diag.message
    assert "gpu_memory_utilization" in diag.hint


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"gpu_memory_utilization": 1.5}, "gpu_memory_utilization"),
        ({"tensor_parallel_size": 0}, "tensor_parallel_size"),
        ({"max_num_seqs": 64, "max_num_batched_tokens": 32}, "below max_num_seqs 64"),
        (
            {"max_num_batched_tokens": 256, "enable_chunked_prefill": False},
            "below max_model_len 512",
        ),
        (
            {"speculative_config": {"method": "ngram", "model": "x", "num_speculative_tokens": 2}},
            "takes no model",
        ),
        ({"block_size": 7}, "block_size"),
        ({"model": ""}, "model"),
    ],
)
def test_values_vllm_refuses_are_errors(
    tmp_path: Path, change: dict[str, object], words: str
) -> None:
    diags = _vllm(tmp_path, json.dumps({**ENGINE, **change})).validate().errors
    assert {d.code for d in diags} == {"TRITON-G004"}
    assert any(words in d.message for d in diags), diags


def test_a_quoted_number_the_stand_in_refuses_is_an_error(tmp_path: Path) -> None:
    """The schema reads "0.5" as a number, vllm_contract.engine_problem (the stand-in) does not."""
    diags = _vllm(tmp_path, json.dumps({**ENGINE, "gpu_memory_utilization": "0.5"})).validate()
    assert [d.code for d in diags.errors] == ["TRITON-G004"]


def test_decoupled_false_is_an_error_and_unset_only_a_warning(tmp_path: Path) -> None:
    text = json.dumps(ENGINE)
    written = 'name: "llm"\nbackend: "vllm"\nmodel_transaction_policy { decoupled: false }\n'
    [diag] = _vllm(tmp_path / "a", text, written).validate().errors
    assert (diag.code, diag.line) == ("TRITON-G005", 3)
    assert "trying to change decoupled property" in diag.message
    report = _vllm(tmp_path / "b", text, 'name: "llm"\nbackend: "vllm"\n').validate()
    assert report.valid
    assert [d.code for d in report.warnings] == ["TRITON-G005"]
    strict = validate_repository(tmp_path / "b" / "repo", auto_complete=False)
    assert "TRITON-G005" in {d.code for d in strict.errors}


def test_kind_gpu_with_a_multi_gpu_engine_is_refused(tmp_path: Path) -> None:
    config = VLLM_CONFIG.format(name="llm") + "instance_group [ { kind: KIND_GPU } ]\n"
    engine = json.dumps({**ENGINE, "tensor_parallel_size": 2, "pipeline_parallel_size": 2})
    [diag] = _vllm(tmp_path / "a", engine, config).validate().errors
    assert (diag.code, diag.line) == ("TRITON-G006", 4)
    assert "over 4" in diag.message
    assert _vllm(tmp_path / "b", json.dumps(ENGINE), config).validate().valid


def test_only_vllm_models_are_read_this_way(tmp_path: Path) -> None:
    config = VLLM_CONFIG.format(name="llm").replace('"vllm"', '"python"')
    repo = _vllm(tmp_path, None, config)
    assert "TRITON-G001" not in _codes(repo)


# ---- tensorrtllm -----------------------------------------------------------------------------


def _trtllm(tmp: Path, params: str, extra: str = "") -> Repo:
    config = f'name: "llm"\nbackend: "tensorrtllm"\n{extra}{params}'
    return Repo(tmp / "repo").files({"llm/config.pbtxt": config, "llm/1/": ""})


def _param(key: str, value: str) -> str:
    return f'parameters {{ key: "{key}" value {{ string_value: "{value}" }} }}\n'


def _without(key: str) -> str:
    return "".join(line for line in TRTLLM_PARAMS.splitlines(True) if f'"{key}"' not in line)


def test_the_backend_parameters_all_set_are_valid(tmp_path: Path) -> None:
    assert found(_trtllm(tmp_path, TRTLLM_PARAMS).validate()) == []


@pytest.mark.parametrize("missing", ["gpt_model_type", "gpt_model_path"])
def test_a_required_parameter_missing_fails_the_load(tmp_path: Path, missing: str) -> None:
    [diag] = _trtllm(tmp_path, _without(missing)).validate().errors
    assert diag.code == "TRITON-G007"
    assert "modelInstanceState" in diag.message


@pytest.mark.parametrize("missing", ["tokenizer_dir", "guided_decoding_backend"])
def test_a_missing_guided_decoding_parameter_is_a_warning(tmp_path: Path, missing: str) -> None:
    # releases with guided decoding refuse to load without it; older releases never read it,
    # so their repositories must not get an error
    report = _trtllm(tmp_path, _without(missing)).validate()
    assert report.errors == []
    [diag] = [w for w in report.warnings if missing in w.message]
    assert diag.code == "TRITON-G008"


def test_gpt_model_type_outside_the_backend_values_is_located(tmp_path: Path) -> None:
    params = _without("gpt_model_type") + _param("gpt_model_type", "inflight")
    [diag] = _trtllm(tmp_path, params).validate().errors
    assert (diag.code, diag.line) == ("TRITON-G007", params.count("\n") + 2)
    assert "Invalid gpt_model_type" in diag.message


def test_lookahead_needs_its_three_parameters(tmp_path: Path) -> None:
    params = _without("decoding_mode") + _param("decoding_mode", "lookahead")
    [diag] = _trtllm(tmp_path / "a", params).validate().errors
    assert diag.code == "TRITON-G007"
    assert "lookahead_window_size" in diag.message
    sizes = "".join(
        _param(k, "4")
        for k in (
            "lookahead_window_size",
            "lookahead_ngram_size",
            "lookahead_verification_set_size",
        )
    )
    assert _trtllm(tmp_path / "b", params + sizes).validate().valid


def test_unknown_policy_or_mode_only_warns_as_the_backend_falls_back(tmp_path: Path) -> None:
    params = _without("batch_scheduler_policy") + _param("batch_scheduler_policy", "greedy")
    params = params.replace('"top_k_top_p"', '"topk"').replace('"4096"', '"lots"')
    report = _trtllm(tmp_path, params).validate()
    assert report.valid
    warned = report.warnings
    assert [d.code for d in warned] == ["TRITON-G008"] * 3
    assert any("max_utilization or guaranteed_no_evict" in d.message for d in warned)


def test_unset_optional_parameters_make_one_warning(tmp_path: Path) -> None:
    params = _without("max_beam_width").replace(_param("cancellation_check_period_ms", "100"), "")
    report = _trtllm(tmp_path, params).validate()
    assert report.valid
    [diag] = report.warnings
    assert "max_beam_width (using 1)" in diag.message
    assert "cancellation_check_period_ms" in diag.message


def test_an_unfilled_template_value_is_left_to_s015(tmp_path: Path) -> None:
    params = _without("max_beam_width") + _param("max_beam_width", "${max_beam_width}")
    assert [d.code for d in _trtllm(tmp_path, params).validate().warnings] == ["TRITON-S015"]


def test_an_encoder_decoder_engine_is_not_refused(tmp_path: Path) -> None:
    params = _without("gpt_model_path") + _param("encoder_model_path", "/models/enc/1")
    assert _trtllm(tmp_path, params).validate().valid


@pytest.mark.parametrize(("dtype", "ok"), [("TYPE_FP16", True), ("TYPE_INT32", False)])
def test_logits_outputs_are_fp32_or_fp16(tmp_path: Path, dtype: str, ok: bool) -> None:
    output = f'output [ {{ name: "generation_logits" data_type: {dtype} dims: [ -1, -1 ] }} ]\n'
    report = _trtllm(tmp_path, TRTLLM_PARAMS, output).validate()
    assert report.valid is ok
    if not ok:
        assert errors(report) == [("TRITON-G009", "llm/config.pbtxt", 3)]


# ---- onnxruntime -----------------------------------------------------------------------------


CLASSIFIER = """\
name: "clf"
backend: "onnxruntime"
max_batch_size: 0
input [ { name: "x" data_type: TYPE_FP32 dims: [ -1, 3 ] } ]
output [ { name: "output_label" data_type: TYPE_INT64 dims: [ -1 ] } ]
"""


def test_the_zipmap_model_is_what_onnxruntime_calls_a_sequence() -> None:
    session = ort.InferenceSession(zipmap_bytes(), providers=["CPUExecutionProvider"])
    assert session.get_outputs()[1].type.startswith("seq(map(")


@pytest.mark.parametrize("config", [CLASSIFIER, None], ids=["declared", "auto-complete"])
def test_a_non_tensor_output_is_refused_whatever_the_config(
    tmp_path: Path, config: str | None
) -> None:
    repo = Repo(tmp_path / "repo").files({"clf/1/model.onnx": zipmap_bytes()})
    if config is not None:
        repo.write("clf/config.pbtxt", config)
    [diag] = repo.validate().errors
    assert (diag.code, diag.file) == ("TRITON-O013", "clf/1/model.onnx")
    assert (
        "Unsupported ONNX Type 'ONNX_TYPE_SEQUENCE' for I/O 'output_probability', expected "
        "'ONNX_TYPE_TENSOR'."
    ) in diag.message
    assert "zipmap" in diag.hint


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("intra_op_thread_count", "two", "failed to convert 'two' to integral number"),
        ("inter_op_thread_count", "", "failed to convert '' to integral number"),
        ("execution_mode", "2", "execution_mode are 0 or 1 but got 2"),
    ],
)
def test_integer_parameters_the_backend_cannot_read(
    tmp_path: Path, key: str, value: str, words: str
) -> None:
    config = ONNX_CONFIG.format(name="m") + _param(key, value)
    [diag] = Repo(tmp_path / "repo").onnx("m", config).validate().errors
    assert diag.code == "TRITON-O014"
    assert words in diag.message
    assert diag.line == config.count("\n")


@pytest.mark.parametrize("value", ["8", " 8", "8x", "-1"])
def test_integer_parameters_read_as_stoi_reads_them(tmp_path: Path, value: str) -> None:
    """std::stoi reads a leading number and ignores the rest, so these load."""
    config = ONNX_CONFIG.format(name="m") + _param("intra_op_thread_count", value)
    assert Repo(tmp_path / "repo").onnx("m", config).validate().valid


def _accelerators(kind: str, section: str) -> str:
    return (
        f"instance_group [ {{ kind: {kind} count: 1 }} ]\n"
        f"optimization {{ execution_accelerators {{ {section} }} }}\n"
    )


@pytest.mark.parametrize(
    ("section", "words", "where"),
    [
        ('cpu_execution_accelerator [ { name: "onednn" } ]',
         "unknown Execution Accelerator 'onednn' is requested",
         "cpu_execution_accelerator[0].name"),
        ('gpu_execution_accelerator [ { name: "cuda" }, { name: "rocm" } ]',
         "unknown Execution Accelerator 'rocm' is requested",
         "gpu_execution_accelerator[1].name"),
        ('gpu_execution_accelerator [ { name: "tensorrt" '
         'parameters { key: "trt_engine_cache" value: "1" } } ]',
         "unknown parameter 'trt_engine_cache' is provided for TensorRT Execution Accelerator",
         'gpu_execution_accelerator[0].parameters["trt_engine_cache"]'),
        ('gpu_execution_accelerator [ { name: "tensorrt" '
         'parameters { key: "trt_dla_enable" value: "yes" } } ]',
         "failed to convert 'yes' to boolean",
         'gpu_execution_accelerator[0].parameters["trt_dla_enable"]'),
        ('gpu_execution_accelerator [ { name: "tensorrt" '
         'parameters { key: "max_workspace_size_bytes" value: "one GB" } } ]',
         "failed to convert 'one GB' to unsigned long long integral number",
         'gpu_execution_accelerator[0].parameters["max_workspace_size_bytes"]'),
        ('gpu_execution_accelerator [ { name: "cuda" '
         'parameters { key: "use_ep_level_unified_stream" value: "sometimes" } } ]',
         "failed to convert 'sometimes' to boolean",
         'gpu_execution_accelerator[0].parameters["use_ep_level_unified_stream"]'),
    ],
)  # fmt: skip
def test_accelerators_the_backend_refuses_on_gpu(
    tmp_path: Path, section: str, words: str, where: str
) -> None:
    """onnxruntime_backend src/onnxruntime.cc ModelState::LoadModel: accelerator names
    (backend_common.h kTensorRTExecutionAccelerator, kCUDAExecutionAccelerator,
    kOpenVINOExecutionAccelerator), the TensorRT parameter list and its parsers
    (backend src/backend_common.cc ParseBoolValue, ParseIntValue, ParseUnsignedLongLongValue)."""
    config = ONNX_CONFIG.format(name="m") + _accelerators("KIND_GPU", section)
    [diag] = Repo(tmp_path / "repo").onnx("m", config).validate().errors
    assert diag.code == "TRITON-O015"
    assert words in diag.message
    assert diag.message.startswith(where)
    assert diag.line == config.count("\n")  # the line of the accelerators


def test_accelerators_the_backend_reads_as_written(tmp_path: Path) -> None:
    """The README's own examples: TensorRT with FP16, a workspace and an engine cache; CUDA
    options it hands to onnxruntime as they are; OpenVINO on CPU."""
    section = (
        'gpu_execution_accelerator [ { name: "tensorrt" '
        'parameters { key: "precision_mode" value: "FP16" } '
        'parameters { key: "max_workspace_size_bytes" value: "1073741824" } '
        'parameters { key: "trt_engine_cache_enable" value: "1" } }, '
        '{ name: "cuda" parameters { key: "cudnn_conv_use_max_workspace" value: "0" } '
        'parameters { key: "use_ep_level_unified_stream" value: "1" } } ] '
        'cpu_execution_accelerator [ { name: "openvino" } ]'
    )
    config = ONNX_CONFIG.format(name="m") + _accelerators("KIND_GPU", section)
    assert Repo(tmp_path / "repo").onnx("m", config).validate().valid


@pytest.mark.parametrize(
    ("groups", "severity"),
    [
        ("", "warning"),  # no instance_group: one KIND_AUTO group, GPU where there is one
        ("instance_group [ { count: 2 } ]\n", "warning"),  # kind left out: KIND_AUTO
        ("instance_group [ { kind: KIND_GPU } ]\n", "error"),
        ("instance_group [ { kind: KIND_CPU } ]\n", None),  # never read on a CPU instance
    ],
)
def test_gpu_only_options_by_instance_kind(tmp_path: Path, groups: str, severity: str) -> None:
    """core src/model_config_utils.cc: KIND_AUTO (and no instance_group) becomes KIND_GPU on a
    server with a GPU, so a GPU-only option the backend refuses fails there: a warning, since
    on a CPU-only server the same model loads."""
    config = ONNX_CONFIG.format(name="m") + groups + _param("cudnn_conv_algo_search", "5")
    report = Repo(tmp_path / "repo").onnx("m", config).validate()
    found = [d for d in report.diagnostics if d.code == "TRITON-O014"]
    if severity is None:
        assert found == []
        return
    [diag] = found
    assert diag.severity == severity
    assert "unsupported cudnn_conv_algo_search value '5'" in diag.message
    assert ("on a server with a GPU" in diag.message) == (severity == "warning")


def test_hostile_accelerator_values_get_one_located_finding_each(tmp_path: Path) -> None:
    """Control characters, a NUL and a 100 kB value in accelerator parameters: each is one
    finding on its line, the value quoted escaped and cut, and nothing else breaks."""
    huge = "9" * 100_000 + "x"
    section = (
        'gpu_execution_accelerator [ { name: "tensorrt" '
        'parameters { key: "trt_dla_enable" value: "\\001\\000on" } '
        f'parameters {{ key: "trt_dla_core" value: "{huge}" }} '
        'parameters { key: "tab\\there" value: "1" } } ]'
    )
    config = ONNX_CONFIG.format(name="m") + _accelerators("KIND_GPU", section)
    errors = Repo(tmp_path / "repo").onnx("m", config).validate().errors
    assert sorted(d.code for d in errors) == ["TRITON-O015"] * 3
    assert all(d.line == config.count("\n") for d in errors)
    assert all(len(d.message) < 400 and d.message.isprintable() for d in errors)
    assert any("failed to convert '\\x01\\x00on' to boolean" in d.message for d in errors)
    # std::stoi throws out_of_range past a 32-bit int, which ParseIntValue does not catch
    assert any("out of range for an integer" in d.message for d in errors)
    assert any("unknown parameter 'tab\\there'" in d.message for d in errors)
