"""``validate --load`` reports the server's verdict beside the static findings.

Hand-written repositories that Triton's real backends accept (an output reshape, a config left to
auto-complete, an optional initializer input, a python model whose ``auto_complete_config`` adds
the outputs, a KIND_GPU model on a CPU host) pass; a model the server refuses is an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.deploy.loadcheck import validate_with_load

from ..catalogue import ADD_ONE
from ..server.standin_models import add_bias, matmul, row_sum

PY_AUTO = """
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    @staticmethod
    def auto_complete_config(auto_complete_model_config):
        auto_complete_model_config.add_output({"name": "y", "data_type": "TYPE_FP32", "dims": [4]})
        return auto_complete_model_config

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", x + 1)]))
        return responses
"""

PY_AUTO_CONFIG = """name: "py_auto"
backend: "python"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""

PY_GPU_CONFIG = """name: "py_gpu"
backend: "python"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]
instance_group [ { name: "on_gpu" kind: KIND_GPU count: 1 gpus: [ 0 ] } ]
"""

REGRESSOR = """name: "regressor"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]
optimization { execution_accelerators { gpu_execution_accelerator [ { name: "tensorrt" } ] } }
"""

OPTIONAL_BIAS = """name: "optional_bias"
backend: "onnxruntime"
max_batch_size: 0
input [
  { name: "x" data_type: TYPE_FP32 dims: [ 2 ] },
  { name: "b" data_type: TYPE_FP32 dims: [ 2 ] optional: true }
]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] } ]
"""

WRONG_DIMS = """name: "wrong_dims"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 5 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 3 ] } ]
"""


def _accepted_repository(root: Path) -> Path:
    row_sum(root, "regressor", REGRESSOR)
    matmul(root, "auto_only", 'name: "auto_only"\nbackend: "onnxruntime"\n')
    add_bias(root, "optional_bias", OPTIONAL_BIAS)
    for name, config, code in (
        ("py_auto", PY_AUTO_CONFIG, PY_AUTO),
        ("py_gpu", PY_GPU_CONFIG, ADD_ONE),
    ):
        (root / name / "1").mkdir(parents=True)
        (root / name / "config.pbtxt").write_text(config)
        (root / name / "1" / "model.py").write_text(code)
    return root


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _accepted_repository(tmp_path_factory.mktemp("accepted"))


def test_models_the_real_backends_accept_pass_validate_load(accepted: Path) -> None:
    """Every model loads and answers; the CLI exits 0 and says what it could not check."""
    result = CliRunner().invoke(cli, ["validate", str(accepted), "--load", "--format", "text"])
    assert result.exit_code == 0, result.output
    for model in ("regressor", "auto_only", "optional_bias", "py_auto", "py_gpu"):
        assert f"load {model} v1: READY" in result.output
    assert "loaded as KIND_CPU" in result.output
    assert "GPU execution accelerator 'tensorrt' is not run here" in result.output


def test_a_refused_model_is_an_error_beside_the_accepted_ones(
    accepted: Path, tmp_path: Path
) -> None:
    """A failed load is always an error; models that loaded carry no error.

    With a target release other than the embedded server's, the static part is checked against
    that release and the report says whose verdict the load is.
    """
    repo = _accepted_repository(tmp_path / "repo")
    matmul(repo, "wrong_dims", WRONG_DIMS)
    report = validate_with_load(repo, gpus=0, triton_version="24.09")
    assert report.schema.endswith("checked for Triton 24.09")
    assert "embedded tritonserver 2.51 (Triton 24.10), not of the target Triton 24.09" in (
        report.load_server
    )
    assert not report.valid
    errors = {(d.model, d.code) for d in report.errors}
    assert ("wrong_dims", "TRITON-X001") in errors
    assert {m for m, _ in errors} == {"wrong_dims"}
    failed = next(d for d in report.errors if d.code == "TRITON-X001")
    assert "the model expects 2 dimensions (shape [-1,4])" in failed.message
    notes = [d for d in report.warnings if d.code == "TRITON-X003"]
    assert {d.model for d in notes} == {"py_gpu", "regressor"}
