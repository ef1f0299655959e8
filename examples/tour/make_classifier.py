"""Regenerate models/classifier.onnx: a fixed 4→3 linear classifier with softmax (tiny, deterministic)."""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

weights = (np.arange(12, dtype=np.float32).reshape(4, 3) - 6) / 6
graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["input", "W"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ],
    "classifier",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
    [numpy_helper.from_array(weights, "W")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="tritonops")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, str(Path(__file__).parent / "models" / "classifier.onnx"))
