"""Two digit classifiers trained on scikit-learn's bundled digits dataset (no download).

Each factory returns ``(estimator, sample_inputs)`` as tritonops's ONNX builder expects. Training is
seeded, so a rebuild produces the same model. The last 20 % of the data is held out: the A/B test
sends it, with its labels, to measure each variant's accuracy.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

HOLDOUT = 0.2


def _split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    cut = int(len(x) * (1 - HOLDOUT))
    return x[:cut], y[:cut], x[cut:], y[cut:]


def logistic() -> tuple[LogisticRegression, np.ndarray]:
    """v1: a small linear model, fast."""
    x, y, _, _ = _split()
    model = LogisticRegression(max_iter=2000, C=0.5, random_state=0).fit(x, y)
    return model, x[:64]


def forest() -> tuple[RandomForestClassifier, np.ndarray]:
    """v2: a random forest, more accurate on this data, and heavier to run."""
    x, y, _, _ = _split()
    model = RandomForestClassifier(n_estimators=60, max_depth=10, random_state=0).fit(x, y)
    return model, x[:64]


def holdout() -> tuple[np.ndarray, np.ndarray]:
    """The held-out images as raw pixels (0..16, shape [N, 64]) and their labels."""
    digits = load_digits()
    cut = int(len(digits.data) * (1 - HOLDOUT))
    return digits.data[cut:].astype(np.float32), digits.target[cut:].astype(np.int64)
