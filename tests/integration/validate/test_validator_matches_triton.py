"""The validator and a real tritonserver agree, model by model, on one shared repository.

One server serves valid models (python, onnx, an ensemble) beside defects of different families:
rejected at load (batching, backend name) and accepted at load but wrong at inference (output name,
undeclared input, ONNX dims, an ensemble input looser than its step).
benchmarks/validator_vs_triton.py runs the same comparison on the whole corpus.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from onnx import TensorProto, helper

from tritonops.deploy.check import check_repository_loads
from tritonops.repository.validate import validate_repository

from ..catalogue import python_code

IDENTITY_PY = python_code(expr="x", input="INPUT0", output="OUTPUT0")

PY = """\
name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }} ]
"""

ONNX = """\
name: "{name}"
backend: "onnxruntime"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ {dim} ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ {dim} ] }} ]
"""

ENSEMBLE = """\
name: "{name}"
platform: "ensemble"
max_batch_size: 8
input [ {{ name: "IN" data_type: TYPE_FP32 dims: [ {dim} ] }} ]
output [ {{ name: "OUT" data_type: TYPE_FP32 dims: [ 4 ] }} ]
ensemble_scheduling {{
  step [
    {{
      model_name: "pre"
      model_version: -1
      input_map {{ key: "INPUT0" value: "IN" }}
      output_map {{ key: "OUTPUT0" value: "mid" }}
    }},
    {{
      model_name: "net"
      model_version: -1
      input_map {{ key: "x" value: "mid" }}
      output_map {{ key: "y" value: "OUT" }}
    }}
  ]
}}
"""


def _onnx_identity() -> bytes:
    shape: list[str | int] = ["batch", 4]
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


# model -> (files relative to the model folder, does Triton serve it correctly)
MODELS: dict[str, tuple[dict[str, str | bytes], bool]] = {
    "pre": ({"config.pbtxt": PY.format(name="pre"), "1/model.py": IDENTITY_PY}, True),
    "net": ({"config.pbtxt": ONNX.format(name="net", dim=4), "1/model.onnx": b""}, True),
    "pipeline": ({"config.pbtxt": ENSEMBLE.format(name="pipeline", dim=4), "1/": ""}, True),
    # rejected at load: dynamic batching preferred size 16 > max_batch_size 8
    "preferred_16": (
        {
            "config.pbtxt": PY.format(name="preferred_16")
            + "dynamic_batching { preferred_batch_size: [ 16 ] }\n",
            "1/model.py": IDENTITY_PY,
        },
        False,
    ),
    # rejected at load: unable to find backend library for backend 'pytorch_libtorch'
    "platform_as_backend": (
        {
            "config.pbtxt": PY.format(name="platform_as_backend").replace(
                '"python"', '"pytorch_libtorch"'
            ),
            "1/model.py": IDENTITY_PY,
        },
        False,
    ),
    # §4, READY at load: the response carries no OUTPUT0
    "output_renamed": (
        {
            "config.pbtxt": PY.format(name="output_renamed"),
            "1/model.py": IDENTITY_PY.replace('"OUTPUT0"', '"OUT0"'),
        },
        False,
    ),
    # READY at load: every request fails on None.as_numpy()
    "input_renamed": (
        {
            "config.pbtxt": PY.format(name="input_renamed"),
            "1/model.py": IDENTITY_PY.replace('"INPUT0"', '"INPUT_0"'),
        },
        False,
    ),
    # READY at load (on this server's onnxruntime backend): [1, 8] does not fit the model's [-1, 4]
    "onnx_dims": (
        {"config.pbtxt": ONNX.format(name="onnx_dims", dim=8), "1/model.onnx": b""},
        False,
    ),
    # §4, READY at load: IN [-1] reaches pre, which needs [4]
    "pipeline_loose": (
        {"config.pbtxt": ENSEMBLE.format(name="pipeline_loose", dim=-1), "1/": ""},
        False,
    ),
}


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("validator-vs-triton") / "models"
    onnx_model = _onnx_identity()
    for model, (files, _) in MODELS.items():
        for rel, content in files.items():
            path = root / model / rel
            if rel.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if rel.endswith("model.onnx"):
                content = onnx_model
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
    return root


def test_validator_and_triton_agree_per_model(repository: Path) -> None:
    report = validate_repository(repository)
    flagged = {d.model for d in report.errors}
    results = check_repository_loads(repository, load_timeout_s=30.0)
    served = {r.model: r.state in ("READY", "SKIPPED") for r in results}
    assert set(served) == set(MODELS)
    details = {r.model: f"{r.state} {r.detail}" for r in results}
    for model, (_, works) in MODELS.items():
        assert served[model] is works, f"{model}: Triton said {details[model]}"
        assert (model not in flagged) is works, (model, [str(d) for d in report.errors])
