"""Shared helpers for the client unit tests: a model config and mock transports."""

from __future__ import annotations

from typing import Any

import numpy as np

from tritonops.client import InferRequest, MockTransport
from tritonops.client.transport import Tensors

CONFIG: dict[str, Any] = {
    "name": "m",
    "max_batch_size": 8,
    "input": [
        {"name": "x", "data_type": "TYPE_FP32", "dims": ["4"]},
        {"name": "mask", "data_type": "TYPE_INT64", "dims": ["-1"], "optional": True},
    ],
    "output": [{"name": "y", "data_type": "TYPE_FP32", "dims": ["4"]}],
}


def x(rows: int = 1) -> Tensors:
    return {"x": np.ones((rows, 4), dtype=np.float32)}


def labelled(label: float) -> MockTransport:
    """A mock whose output ``y`` is the input plus ``label`` (so the answering variant shows)."""

    def handler(request: InferRequest) -> Tensors:
        return {"y": request.inputs["x"] + label}

    return MockTransport(handler, configs={"m": CONFIG}, name=f"mock{label}")
