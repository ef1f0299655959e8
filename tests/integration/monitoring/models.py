"""Tiny python models that fail on demand: ``y = x + 1``, or an error when ``x[0] < 0``.

``flaky`` and ``steady`` run the same code (a canary's candidate and control). A failure is an
exception raised from ``execute()``, which tritonserver 2.51 counts in
``nv_inference_request_failure{reason="BACKEND"}``; an ``InferenceResponse(error=...)`` would be
counted as a success there (seen on the embedded server), so it would not test an error ratio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FLAKY = "flaky"
STEADY = "steady"
MODELS = (STEADY, FLAKY)

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

_MODEL = """  - name: {name}
    kind: python
    source: models/{name}/model.py
    max_batch_size: 8
    inputs: [{{ name: x, data_type: fp32, dims: [4] }}]
    outputs: [{{ name: y, data_type: fp32, dims: [4] }}]
    slo: {slo}
"""

# the models' own SLOs drive the alert test (flaky: its error budget; steady: a p50 no request
# can meet, 1 µs); the experiment's drives the canary ramp's guard
SLOS = {STEADY: "{ p50_ms: 0.001 }", FLAKY: "{ p99_ms: 5000, max_error_rate: 0.05 }"}
PROJECT = """repository: model_repository
models:
{models}experiments:
  - name: canary
    variants:
      - {{ name: control, model: steady }}
      - {{ name: candidate, model: flaky }}
    slo: {{ max_error_rate: 0.05 }}
    dataset: data.npz
"""


def write_repository(repo: Path) -> Path:
    """A model repository holding version 1 of every model of ``MODELS``."""
    for name in MODELS:
        (repo / name / "1").mkdir(parents=True)
        (repo / name / "config.pbtxt").write_text(_CONFIG.format(name=name))
        (repo / name / "1" / "model.py").write_text(_CODE)
    return repo


def write_project(root: Path) -> Path:
    """A project declaring both models (each with the SLO of ``SLOS``), a ``canary``
    experiment steady → flaky, and its dataset of inputs that never fail; returns its path."""
    for name in MODELS:
        (root / "models" / name).mkdir(parents=True)
        (root / "models" / name / "model.py").write_text(_CODE)
    x = np.random.default_rng(0).random((64, 4), dtype=np.float32) + 1
    np.savez(root / "data.npz", x=x)
    path = root / "tritonops.yaml"
    models = "".join(_MODEL.format(name=n, slo=SLOS[n]) for n in MODELS)
    path.write_text(PROJECT.format(models=models))
    return path
