"""Tiny python models of known speed and answers, a labelled dataset, and a project for them.

- ``fast``: ``y = x + 1`` at once;
- ``slow``: ``y = x + 1`` after sleeping ``SLOW_MS`` per request (one instance, so requests queue);
- ``negate``: ``y = -x`` — a shadow whose answers differ from every primary answer.

The dataset's rows have distinct values, so ``argmax(x + 1) == argmax(x) != argmax(-x)``: the
label ``argmax(x)`` is right for ``fast``/``slow`` and wrong for ``negate`` on every row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SLOW_MS = 20

_CODE = """
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            if {delay_s} > 0:
                time.sleep({delay_s})
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", {expr})]))
        return responses
"""

_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
"""

MODELS = {
    "fast": (0.0, "(x + 1).astype(np.float32)"),
    "slow": (SLOW_MS / 1000, "(x + 1).astype(np.float32)"),
    "negate": (0.0, "(-x).astype(np.float32)"),
}

_PROJECT_MODEL = """  - name: {name}
    kind: python
    source: models/{name}
    max_batch_size: 8
    inputs: [{{ name: x, data_type: fp32, dims: [4] }}]
    outputs: [{{ name: y, data_type: fp32, dims: [4] }}]
"""


def write_repository(repo: Path) -> Path:
    """The server's model repository with every model of ``MODELS``."""
    for name, (delay_s, expr) in MODELS.items():
        (repo / name / "1").mkdir(parents=True)
        (repo / name / "config.pbtxt").write_text(_CONFIG.format(name=name))
        (repo / name / "1" / "model.py").write_text(_CODE.format(delay_s=delay_s, expr=expr))
    return repo


def write_dataset(path: Path, *, rows: int = 200, users: int = 16, seed: int = 7) -> Path:
    """``x`` (distinct values per row), ``label = argmax(x)``, and ``user_id`` (``users`` users;
    no such array when ``users`` is 0)."""
    rng = np.random.default_rng(seed)
    x = np.stack([rng.permutation(4) for _ in range(rows)]).astype(np.float32) * 10
    x += rng.random((rows, 4), dtype=np.float32)
    label = np.argmax(x, axis=1).astype(np.int64)
    arrays = {"x": x, "label": label}
    if users:
        arrays["user_id"] = np.array([f"u{i % users}" for i in range(rows)])
    np.savez(path, **arrays)
    return path


def write_project(root: Path, experiments: str) -> Path:
    """``root/tritonops.yaml`` declaring the models and the given ``experiments:`` YAML body."""
    for name, (delay_s, expr) in MODELS.items():
        (root / "models" / name).mkdir(parents=True, exist_ok=True)
        code = _CODE.format(delay_s=delay_s, expr=expr)
        (root / "models" / name / "model.py").write_text(code)
    write_dataset(root / "users.npz")
    write_dataset(root / "plain.npz", users=0)
    models = "".join(_PROJECT_MODEL.format(name=name) for name in MODELS)
    text = f"repository: model_repository\nmodels:\n{models}experiments:\n{experiments}"
    path = root / "tritonops.yaml"
    path.write_text(text)
    return path
