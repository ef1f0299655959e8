"""Inputs synthesized from a config have the shapes and types the model declares."""

from __future__ import annotations

import numpy as np
import pytest

from tritonops.model_config import DataType, ModelConfig, ModelInput
from tritonops.model_config.samples import sample_inputs


def _config(max_batch_size: int, *inputs: ModelInput) -> ModelConfig:
    return ModelConfig(name="m", max_batch_size=max_batch_size, input=list(inputs))


def test_batching_model_gets_a_batch_dim_and_variable_dims_become_one() -> None:
    config = _config(8, ModelInput(name="x", data_type=DataType.TYPE_FP32, dims=[-1, 3]))
    (x,) = sample_inputs(config, batch_size=4).values()
    assert x.shape == (4, 1, 3)
    assert x.dtype == np.float32


def test_non_batching_model_uses_dims_as_they_are() -> None:
    config = _config(0, ModelInput(name="x", data_type=DataType.TYPE_INT64, dims=[2, 5]))
    assert sample_inputs(config)["x"].shape == (2, 5)


def test_strings_are_bytes_objects() -> None:
    config = _config(0, ModelInput(name="s", data_type=DataType.TYPE_STRING, dims=[2]))
    text = sample_inputs(config)["s"]
    assert text.dtype == np.object_
    assert all(isinstance(v, bytes) for v in text)


def test_optional_inputs_are_left_out_unless_asked() -> None:
    config = _config(
        0,
        ModelInput(name="a", data_type=DataType.TYPE_FP32, dims=[1]),
        ModelInput(name="b", data_type=DataType.TYPE_FP32, dims=[1], optional=True),
    )
    assert list(sample_inputs(config)) == ["a"]
    assert list(sample_inputs(config, include_optional=True)) == ["a", "b"]


def test_random_values_follow_the_dtype() -> None:
    rng = np.random.default_rng(0)
    config = _config(
        0,
        ModelInput(name="b", data_type=DataType.TYPE_BOOL, dims=[16]),
        ModelInput(name="i", data_type=DataType.TYPE_INT32, dims=[16]),
    )
    values = sample_inputs(config, rng=rng)
    assert values["b"].dtype == np.bool_
    assert values["i"].dtype == np.int32


def test_bf16_cannot_be_synthesized() -> None:
    config = _config(0, ModelInput(name="x", data_type=DataType.TYPE_BF16, dims=[1]))
    with pytest.raises(ValueError, match="TYPE_BF16"):
        sample_inputs(config)
