"""Tiny python models that fail on demand: ``y = x + 1``, or an error when ``x[0] < 0``.

``flaky`` and ``steady`` run the same code (a canary's candidate and control), the catalogue's
``python_code(fail_when_negative=True)`` (catalogue.py says why it raises).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..catalogue import python_code, python_model

FLAKY = "flaky"
STEADY = "steady"
MODELS = (STEADY, FLAKY)

_CODE = python_code(fail_when_negative=True)

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
        python_model(repo, name, code=_CODE, one_instance=True)
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
