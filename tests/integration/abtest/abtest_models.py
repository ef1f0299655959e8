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

from ..catalogue import python_code, python_model

SLOW_MS = 20

CODE = {
    "fast": python_code(expr="(x + 1).astype(np.float32)"),
    "slow": python_code(expr="(x + 1).astype(np.float32)", delay_s=SLOW_MS / 1000),
    "negate": python_code(expr="(-x).astype(np.float32)"),
}
MODELS = tuple(CODE)

_PROJECT_MODEL = """  - name: {name}
    kind: python
    source: models/{name}
    max_batch_size: 8
    inputs: [{{ name: x, data_type: fp32, dims: [4] }}]
    outputs: [{{ name: y, data_type: fp32, dims: [4] }}]
"""


def write_repository(repo: Path) -> Path:
    """The server's model repository with every model of ``MODELS``."""
    for name, code in CODE.items():
        python_model(repo, name, code=code, one_instance=True)
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
    for name, code in CODE.items():
        (root / "models" / name).mkdir(parents=True, exist_ok=True)
        (root / "models" / name / "model.py").write_text(code)
    write_dataset(root / "users.npz")
    write_dataset(root / "plain.npz", users=0)
    models = "".join(_PROJECT_MODEL.format(name=name) for name in MODELS)
    text = f"repository: model_repository\nmodels:\n{models}experiments:\n{experiments}"
    path = root / "tritonops.yaml"
    path.write_text(text)
    return path
