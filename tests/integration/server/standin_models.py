"""ONNX graphs and configs for the onnxruntime stand-in conformance tests, made at test time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT


def save_graph(
    repo: Path,
    name: str,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[onnx.TensorProto] | None = None,
    config: str | None = None,
) -> None:
    """One model folder: ``1/model.onnx`` plus ``config.pbtxt`` (none when ``config`` is None)."""
    (repo / name / "1").mkdir(parents=True)
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(repo / name / "1" / "model.onnx"))
    if config is not None:
        (repo / name / "config.pbtxt").write_text(config.replace("NAME", name))


def row_sum(repo: Path, name: str, config: str | None) -> None:
    """x [N, 4] float -> y [N] (a scikit-learn-like regressor: one value per row)."""
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    save_graph(
        repo,
        name,
        [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
        [helper.make_tensor_value_info("x", FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", FLOAT, ["N"])],
        [axes],
        config,
    )


def matmul(repo: Path, name: str, config: str | None, batch: str | int = "N") -> None:
    """x [batch, 4] float -> y [batch, 3] = x @ W."""
    weights = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    save_graph(
        repo,
        name,
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        [helper.make_tensor_value_info("x", FLOAT, [batch, 4])],
        [helper.make_tensor_value_info("y", FLOAT, [batch, 3])],
        [numpy_helper.from_array(weights, "W")],
        config,
    )


def square_sum(repo: Path, name: str, config: str | None) -> None:
    """x [N, 2, 2] float -> y [N, 2] (row sums of each 2x2 item): for an input ``reshape``."""
    axes = numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")
    save_graph(
        repo,
        name,
        [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
        [helper.make_tensor_value_info("x", FLOAT, ["N", 2, 2])],
        [helper.make_tensor_value_info("y", FLOAT, ["N", 2])],
        [axes],
        config,
    )


BIAS = np.array([10.0, 20.0], dtype=np.float32)


def add_bias(repo: Path, name: str, config: str | None) -> None:
    """x [2] + b [2], where b is an initializer that is also listed as a graph input."""
    save_graph(
        repo,
        name,
        [helper.make_node("Add", ["x", "b"], ["y"])],
        [
            helper.make_tensor_value_info("x", FLOAT, [2]),
            helper.make_tensor_value_info("b", FLOAT, [2]),
        ],
        [helper.make_tensor_value_info("y", FLOAT, [2])],
        [numpy_helper.from_array(BIAS, "b")],
        config,
    )


def echo_strings(repo: Path, name: str, config: str | None) -> None:
    """text [N, -1] string -> same [N, -1] string (Identity)."""
    save_graph(
        repo,
        name,
        [helper.make_node("Identity", ["text"], ["same"])],
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N", "L"])],
        [helper.make_tensor_value_info("same", TensorProto.STRING, ["N", "L"])],
        None,
        config,
    )


def add_start_flag(repo: Path, name: str, config: str | None) -> None:
    """x [N, 1] + START [N, 1]: the sequence batcher's start flag is a graph input."""
    save_graph(
        repo,
        name,
        [helper.make_node("Add", ["x", "START"], ["y"])],
        [
            helper.make_tensor_value_info("x", FLOAT, ["N", 1]),
            helper.make_tensor_value_info("START", FLOAT, ["N", 1]),
        ],
        [helper.make_tensor_value_info("y", FLOAT, ["N", 1])],
        None,
        config,
    )


INT32 = TensorProto.INT32


def accumulator(repo: Path, name: str, config: str | None) -> None:
    """An implicit-state running sum: OUTPUT_STATE = INPUT + INPUT_STATE, OUTPUT = OUTPUT_STATE
    (int32 [N, 1] each), the way Triton's own implicit-state qa models accumulate."""
    save_graph(
        repo,
        name,
        [
            helper.make_node("Add", ["INPUT", "INPUT_STATE"], ["OUTPUT_STATE"]),
            helper.make_node("Identity", ["OUTPUT_STATE"], ["OUTPUT"]),
        ],
        [
            helper.make_tensor_value_info("INPUT", INT32, ["N", 1]),
            helper.make_tensor_value_info("INPUT_STATE", INT32, ["N", 1]),
        ],
        [
            helper.make_tensor_value_info("OUTPUT", INT32, ["N", 1]),
            helper.make_tensor_value_info("OUTPUT_STATE", INT32, ["N", 1]),
        ],
        None,
        config,
    )


def sum_over_time(repo: Path, name: str, config: str | None) -> None:
    """x [N, T] float -> y [N]: a symbolic non-batch dimension T, served with ``dims: [-1]``."""
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    save_graph(
        repo,
        name,
        [helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
        [helper.make_tensor_value_info("x", FLOAT, ["N", "T"])],
        [helper.make_tensor_value_info("y", FLOAT, ["N"])],
        [axes],
        config,
    )


IRIS_LIKE = (
    np.array(
        [
            [5.1, 3.5, 1.4, 0.2],
            [4.9, 3.0, 1.4, 0.2],
            [7.0, 3.2, 4.7, 1.4],
            [6.4, 3.2, 4.5, 1.5],
            [6.3, 3.3, 6.0, 2.5],
            [5.8, 2.7, 5.1, 1.9],
            [5.0, 3.6, 1.4, 0.3],
            [6.9, 3.1, 4.9, 1.5],
            [7.1, 3.0, 5.9, 2.1],
        ],
        dtype=np.float32,
    ),
    np.array([0, 0, 1, 1, 2, 2, 0, 1, 2], dtype=np.int64),
)


def fit_classifier() -> Any:
    """A scikit-learn logistic regression on IRIS_LIKE (deterministic: lbfgs, no shuffling)."""
    from sklearn.linear_model import LogisticRegression

    features, labels = IRIS_LIKE
    return LogisticRegression(max_iter=500).fit(features, labels)


def sklearn_classifier(repo: Path, name: str, config: str | None, zipmap: bool) -> None:
    """fit_classifier() exported by skl2onnx, as users export one: with the default ZipMap
    (``output_probability`` is a sequence of maps) or with ``zipmap: False`` (a [N, 3]
    probability tensor)."""
    from skl2onnx import to_onnx

    features, _ = IRIS_LIKE
    estimator = fit_classifier()
    options = None if zipmap else {id(estimator): {"zipmap": False}}
    model = to_onnx(estimator, features[:1], options=options, target_opset=17)
    (repo / name / "1").mkdir(parents=True)
    (repo / name / "1" / "model.onnx").write_bytes(model.SerializeToString())
    if config is not None:
        (repo / name / "config.pbtxt").write_text(config.replace("NAME", name))
