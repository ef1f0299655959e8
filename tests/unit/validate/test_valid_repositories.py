"""Valid repositories, generated or hand-written, must never get an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import TensorProto
from repo_builder import MODEL_PY, ONNX_CONFIG, PY_CONFIG, Repo, errors, found, onnx_bytes

from tritonops.errors import RepositoryError
from tritonops.repository.validate import validate_repository

ENSEMBLE = """\
name: "pipeline"
platform: "ensemble"
max_batch_size: 8
input [ { name: "RAW" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "SCORES" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling {
  step [
    {
      model_name: "pre"
      model_version: -1
      input_map { key: "INPUT0" value: "RAW" }
      output_map { key: "OUTPUT0" value: "features" }
    },
    {
      model_name: "net"
      model_version: -1
      input_map { key: "x" value: "features" }
      output_map { key: "y" value: "SCORES" }
    }
  ]
}
"""

FULL_PYTHON = """\
name: "full"
backend: "python"
max_batch_size: 16
input [
  { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] },
  { name: "START" data_type: TYPE_INT32 dims: [ 1 ] optional: true }
]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt" } ]
instance_group [ { kind: KIND_GPU count: 2 gpus: [ 0 ] }, { kind: KIND_CPU count: 1 } ]
dynamic_batching {
  preferred_batch_size: [ 4, 16 ]
  max_queue_delay_microseconds: 100
  priority_levels: 2
  default_priority_level: 1
  priority_queue_policy { key: 2 value { timeout_action: DELAY default_timeout_microseconds: 10 } }
}
parameters { key: "EXECUTION_ENV_PATH" value { string_value: "$$TRITON_MODEL_DIRECTORY/e.tgz" } }
model_warmup [
  {
    name: "zeros"
    batch_size: 4
    inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [ 4 ] zero_data: true } }
  },
  {
    name: "file"
    batch_size: 1
    inputs { key: "INPUT0" value { data_type: TYPE_FP32 dims: [ 4 ] input_data_file: "in0" } }
  }
]
response_cache { enable: true }
version_policy: { all: { } }
"""

SEQUENCE = """\
name: "stateful"
backend: "python"
max_batch_size: 4
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] } ]
sequence_batching {
  max_sequence_idle_microseconds: 5000000
  oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2, 4 ] }
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },
    { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },
    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 } ] }
  ]
}
model_transaction_policy { decoupled: true }
"""


def _repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "model_repository")


def test_generated_style_python_model_is_clean(tmp_path: Path) -> None:
    report = _repo(tmp_path).python("identity").validate()
    assert report.valid
    assert report.models == 1
    assert found(report) == []


def test_onnx_model_with_real_file_is_clean(tmp_path: Path) -> None:
    report = _repo(tmp_path).onnx("net").validate()
    assert found(report) == []


def test_ensemble_of_python_and_onnx_is_clean(tmp_path: Path) -> None:
    repo = _repo(tmp_path).python("pre").onnx("net")
    repo.files({"pipeline/config.pbtxt": ENSEMBLE, "pipeline/1/": ""})
    report = repo.validate()
    assert report.models == 3
    assert found(report) == []


def test_ensemble_of_non_batching_step_in_batching_ensemble(tmp_path: Path) -> None:
    step = PY_CONFIG.format(name="pre").replace("max_batch_size: 8", "max_batch_size: 0")
    step = step.replace("dims: [ 4 ]", "dims: [ -1, 4 ]")
    repo = _repo(tmp_path).python("pre", step).onnx("net")
    repo.files({"pipeline/config.pbtxt": ENSEMBLE, "pipeline/1/": ""})
    assert errors(repo.validate()) == []


def test_python_model_with_everything_set(tmp_path: Path) -> None:
    repo = _repo(tmp_path).python("full", FULL_PYTHON)
    repo.files(
        {"full/labels.txt": "a\nb\n", "full/warmup/in0": b"\0" * 16, "full/2/model.py": MODEL_PY}
    )
    report = repo.validate()
    assert found(report) == []


def test_sequence_batching_decoupled_model(tmp_path: Path) -> None:
    report = _repo(tmp_path).python("stateful", SEQUENCE).validate()
    assert found(report) == []


def test_auto_complete_onnx_without_config_is_only_a_warning(tmp_path: Path) -> None:
    repo = _repo(tmp_path).files({"auto/1/model.onnx": onnx_bytes()})
    report = repo.validate()
    assert report.valid
    assert found(report) == [("TRITON-L008", "auto/config.pbtxt", None)]


def test_python_without_config_but_auto_complete_config(tmp_path: Path) -> None:
    source = (
        MODEL_PY
        + "\n    @staticmethod\n    def auto_complete_config(config):\n        return config\n"
    )
    report = _repo(tmp_path).files({"auto/1/model.py": source}).validate()
    assert found(report) == []


def test_python_without_config_warns(tmp_path: Path) -> None:
    # names built at run time cannot be compared; reading literal ones is TRITON-L014
    source = MODEL_PY.replace('"INPUT0"', 'f"INPUT{0}"').replace('"OUTPUT0"', 'f"OUTPUT{0}"')
    report = _repo(tmp_path).files({"bare/1/model.py": source}).validate()
    assert report.valid
    assert found(report) == [("TRITON-L009", "bare/config.pbtxt", None)]


def test_onnx_config_left_to_auto_complete_skips_io(tmp_path: Path) -> None:
    config = 'name: "net"\nbackend: "onnxruntime"\nmax_batch_size: 8\n'
    report = _repo(tmp_path).onnx("net", config).validate()
    assert found(report) == []


def test_onnx_platform_only_and_folder_model(tmp_path: Path) -> None:
    config = ONNX_CONFIG.format(name="net").replace(
        'backend: "onnxruntime"', 'platform: "onnxruntime_onnx"'
    )
    repo = _repo(tmp_path).files(
        {"net/config.pbtxt": config, "net/1/model.onnx/model.onnx": onnx_bytes()}
    )
    assert found(repo.validate()) == []


def test_onnx_symbolic_and_fixed_dims_agree(tmp_path: Path) -> None:
    model = onnx_bytes(
        [
            ("ids", TensorProto.INT64, ["batch", "seq"]),
            ("mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [("logits", TensorProto.FLOAT, ["batch", 2])],
    )
    config = """\
name: "bert"
backend: "onnxruntime"
max_batch_size: 4
input [
  { name: "ids" data_type: TYPE_INT64 dims: [ -1 ] },
  { name: "mask" data_type: TYPE_INT64 dims: [ -1 ] }
]
output [ { name: "logits" data_type: TYPE_FP32 dims: [ 2 ] } ]
"""
    assert found(_repo(tmp_path).onnx("bert", config, model).validate()) == []


def test_stray_files_and_reserved_folders_are_ignored(tmp_path: Path) -> None:
    repo = _repo(tmp_path).python("m")
    repo.files(
        {"README.md": "# models", "m/configs/": "", "m/initial_state/": "", "m/notes.txt": "x"}
    )
    assert found(repo.validate()) == []


def test_custom_python_based_backend_needs_no_known_file(tmp_path: Path) -> None:
    config = 'name: "llm"\nbackend: "vllm"\nmodel_transaction_policy { decoupled: true }\n'
    engine = '{"model": "facebook/opt-125m"}'
    repo = _repo(tmp_path).files({"llm/config.pbtxt": config, "llm/1/model.json": engine})
    assert errors(repo.validate()) == []


def test_unreadable_repository_raises(tmp_path: Path) -> None:
    with pytest.raises(RepositoryError, match="cannot read model repository"):
        validate_repository(tmp_path / "missing")


def test_a_file_is_not_a_repository(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(RepositoryError):
        validate_repository(path)


def test_tokenizer_config_json_is_not_a_misnamed_config(tmp_path: Path) -> None:
    source = MODEL_PY + "\n    def auto_complete_config(config):\n        return config\n"
    repo = _repo(tmp_path).files({"tok/1/model.py": source, "tok/config.json": "{}"})
    assert found(repo.validate()) == []
