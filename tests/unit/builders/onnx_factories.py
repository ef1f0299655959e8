"""Tiny sources for the ONNX builder tests; copied into each test project and imported from there.

Factories follow the builder's contract: ``(torch.nn.Module, example_inputs)`` or
``(estimator, X_sample)``. Data comes from scikit-learn's bundled datasets (no downloads).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

# edited by the fingerprint tests to change this file's bytes
VARIANT = 0


def make_mlp() -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]:
    """A classifier-shaped MLP: 16 features in, 5 logits out."""
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 5))
    return module, (torch.randn(1, 16),)


class _TwoInOut(torch.nn.Module):
    """Token ids (int64) and features (float) in; logits and an embedding sum out."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(10, 6)
        self.proj = torch.nn.Linear(6 + 3, 2)

    def forward(self, ids: torch.Tensor, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.embed(ids).mean(dim=1)
        return self.proj(torch.cat([pooled, feats], dim=1)), pooled


def make_two_io() -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]:
    torch.manual_seed(0)
    return _TwoInOut(), (torch.randint(0, 10, (3, 7)), torch.randn(3, 3))


def make_bare_module() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 2))


def make_nothing() -> int:
    return 42


def make_logreg() -> tuple[Any, np.ndarray[Any, Any]]:
    x, y = load_digits(return_X_y=True)
    return LogisticRegression(max_iter=300).fit(x[:600], y[:600]), x[600:700]


def make_forest() -> RandomForestClassifier:
    x, y = load_iris(return_X_y=True)
    return RandomForestClassifier(n_estimators=8, max_depth=4, random_state=0).fit(x, y)


def make_regressor() -> tuple[Any, np.ndarray[Any, Any]]:
    x, y = load_iris(return_X_y=True)
    return LinearRegression().fit(x[:, :3], x[:, 3] + VARIANT * y), x[:50, :3]
