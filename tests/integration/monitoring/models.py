"""A tiny python model that fails on demand: ``y = x + 1``, or an error when ``x[0] < 0``.

Its errors are the backend's (an ``InferenceResponse`` carrying a ``TritonError``), which Triton
counts in ``nv_inference_request_failure`` with ``reason="BACKEND"``.
"""

from __future__ import annotations

from pathlib import Path

FLAKY = "flaky"

_CODE = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            if x.reshape(-1)[0] < 0:
                raise pb_utils.TritonModelException("asked to fail: x[0] < 0")
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", x + 1)]))
        return responses
"""

_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
"""

PROJECT = """repository: model_repository
models:
  - name: flaky
    kind: python
    source: models/flaky/model.py
    max_batch_size: 8
    inputs: [{ name: x, data_type: fp32, dims: [4] }]
    outputs: [{ name: y, data_type: fp32, dims: [4] }]
    slo: { p99_ms: 5000, max_error_rate: 0.05 }
"""


def write_repository(repo: Path) -> Path:
    """A model repository holding ``flaky`` version 1."""
    (repo / FLAKY / "1").mkdir(parents=True)
    (repo / FLAKY / "config.pbtxt").write_text(_CONFIG.format(name=FLAKY))
    (repo / FLAKY / "1" / "model.py").write_text(_CODE)
    return repo


def write_project(root: Path) -> Path:
    """A project file declaring ``flaky`` with an SLO; returns its path."""
    (root / "models" / FLAKY).mkdir(parents=True)
    (root / "models" / FLAKY / "model.py").write_text(_CODE)
    path = root / "tritonops.yaml"
    path.write_text(PROJECT)
    return path
