"""Inputs are checked against the model's config before sending, with exact messages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from client_fixtures import CONFIG

from tritonops.client import Client, MockTransport
from tritonops.errors import InputError


def client() -> tuple[Client, MockTransport]:
    mock = MockTransport(configs={"m": CONFIG})
    return Client(transport=mock, retries=0), mock


CASES: list[tuple[dict[str, Any], str]] = [
    (
        {"x": np.zeros((1, 4), np.float32), "z": np.zeros(1)},
        "model 'm': unknown input 'z' — the model's inputs are 'mask', 'x'",
    ),
    ({}, "model 'm': input 'x' is missing — expected FP32 [-1, 4]"),
    ({"x": np.zeros((1, 4), np.int64)}, "model 'm': input 'x' must be FP32 (got INT64)"),
    (
        {"x": np.zeros((1, 5), np.float32)},
        "model 'm': input 'x' must have shape [-1, 4] (got [1, 5])",
    ),
    ({"x": np.zeros(4, np.float32)}, "model 'm': input 'x' must have shape [-1, 4] (got [4])"),
    (
        {"x": np.zeros((9, 4), np.float32)},
        "model 'm': input 'x' has batch size 9 but max_batch_size is 8 — split the request",
    ),
    ({"x": [[1.0, 2.0, 3.0, 4.0]]}, "model 'm': input 'x' must be a numpy array (got list)"),
    (
        {"x": np.zeros((1, 4), np.float64), "mask": np.zeros((2, 3, 1), np.int64)},
        "model 'm': input 'x' must be FP32 (got FP64); input 'mask' must have shape [-1, -1]"
        " (got [2, 3, 1])",
    ),
]


@pytest.mark.parametrize(("inputs", "message"), CASES)
def test_bad_inputs_fail_before_sending(inputs: dict[str, Any], message: str) -> None:
    c, mock = client()
    with pytest.raises(InputError) as info:
        c.infer("m", inputs)
    assert str(info.value) == message
    assert info.value.model == "m"
    assert mock.calls == 0


def test_fitting_inputs_are_sent_and_wildcards_accept_any_size() -> None:
    c, mock = client()
    inputs: dict[str, Any] = {
        "x": np.zeros((8, 4), np.float32),
        "mask": np.zeros((8, 7), np.int64),
    }
    result = c.infer("m", inputs)
    assert mock.calls == 1
    assert set(result.outputs) == {"x", "mask"}


def test_model_without_batching_expects_exact_dims() -> None:
    config = {**CONFIG, "max_batch_size": 0}
    c = Client(transport=MockTransport(configs={"m": config}), retries=0)
    with pytest.raises(InputError, match=r"must have shape \[4\] \(got \[1, 4\]\)"):
        c.infer("m", {"x": np.zeros((1, 4), np.float32)})
    c.infer("m", {"x": np.zeros(4, np.float32)})
