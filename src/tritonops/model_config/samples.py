"""Inputs synthesized from a model's config: what a smoke test or a load generator sends."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from tritonops.model_config.config import ModelConfig, ModelInput
from tritonops.model_config.enums import DataType

SAMPLE_TEXT = b"tritonops"


def sample_shape(tensor: ModelInput, config: ModelConfig, batch_size: int = 1) -> list[int]:
    """The full request shape: a batch dim when the model batches; variable dims become 1."""
    shape = [d if d > 0 else 1 for d in tensor.dims]  # requests use dims, never the reshape
    return [batch_size, *shape] if config.max_batch_size > 0 else shape


def sample_input(
    tensor: ModelInput,
    config: ModelConfig,
    batch_size: int = 1,
    rng: np.random.Generator | None = None,
) -> NDArray[Any]:
    """One input tensor: small random values (zeros without ``rng``), strings as UTF-8 bytes."""
    shape = sample_shape(tensor, config, batch_size)
    if tensor.data_type is DataType.TYPE_STRING:
        return np.full(shape, SAMPLE_TEXT, dtype=np.object_)
    dtype = tensor.data_type.numpy
    if dtype is None:
        raise ValueError(
            f"input {tensor.name!r} is {tensor.data_type.value}, which numpy cannot carry"
        )
    if rng is None:
        return np.zeros(shape, dtype=dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 8, size=shape).astype(dtype)
    return rng.random(size=shape).astype(dtype)


def sample_inputs(
    config: ModelConfig,
    batch_size: int = 1,
    rng: np.random.Generator | None = None,
    *,
    include_optional: bool = False,
) -> dict[str, NDArray[Any]]:
    """Every required input (and optional ones on request), keyed by tensor name."""
    return {
        tensor.name: sample_input(tensor, config, batch_size, rng)
        for tensor in config.input
        if include_optional or not tensor.optional
    }
