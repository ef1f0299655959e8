"""Tiny real models written into test repositories (python-backend and ONNX)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ADD_ONE = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", x + 1)]))
        return responses
"""

PY_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] }} ]
"""

ONNX_CONFIG = """name: "{name}"
backend: "onnxruntime"
max_batch_size: 16
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 3 ] }} ]
dynamic_batching {{ }}
"""

# strings in, strings out: upper-cased, so a mangled BYTES encoding shows in the answer
SHOUT = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            words = pb_utils.get_input_tensor_by_name(request, "text").as_numpy()
            loud = np.array([w.decode().upper().encode() for w in words.ravel()], dtype=object)
            responses.append(
                pb_utils.InferenceResponse([pb_utils.Tensor("loud", loud.reshape(words.shape))])
            )
        return responses
"""

SHOUT_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "text" data_type: TYPE_STRING dims: [ -1 ] }} ]
output [ {{ name: "loud" data_type: TYPE_STRING dims: [ -1 ] }} ]
"""

WEIGHTS = np.arange(12, dtype=np.float32).reshape(4, 3) / 10


def python_model(repo: Path, name: str, *, with_code: bool = True) -> None:
    (repo / name / "1").mkdir(parents=True)
    (repo / name / "config.pbtxt").write_text(PY_CONFIG.format(name=name))
    if with_code:
        (repo / name / "1" / "model.py").write_text(ADD_ONE)


def string_model(repo: Path, name: str) -> None:
    (repo / name / "1").mkdir(parents=True)
    (repo / name / "config.pbtxt").write_text(SHOUT_CONFIG.format(name=name))
    (repo / name / "1" / "model.py").write_text(SHOUT)


def onnx_model(repo: Path, name: str) -> None:
    (repo / name / "1").mkdir(parents=True)
    (repo / name / "config.pbtxt").write_text(ONNX_CONFIG.format(name=name))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(WEIGHTS, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(repo / name / "1" / "model.onnx"))
