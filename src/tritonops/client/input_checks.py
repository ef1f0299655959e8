"""Inputs checked against the model's config BEFORE anything is sent.

A request the server would reject (an unknown or missing input, a wrong dtype, a wrong rank or
shape, a batch larger than ``max_batch_size``) fails here with every problem named at once, which
is cheaper and clearer than Triton's answer. The config is read once per model and cached.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tritonops.client.transport import Tensors
from tritonops.errors import InputError
from tritonops.model_config import DataType


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One input as the model's config declares it: name, data type, dims, optional."""

    name: str
    datatype: str  # the inference API's name: FP32, INT64, BYTES
    dims: tuple[int, ...]  # without the batch dimension; -1 is any size
    optional: bool = False


@dataclass(frozen=True)
class Signature:
    """What a model accepts, read from its config (Triton's JSON form)."""

    model: str
    max_batch_size: int
    inputs: Mapping[str, TensorSpec]

    @classmethod
    def from_config(cls, model: str, config: Mapping[str, Any]) -> Signature:
        """The signature in a config as the server serves it (``Client.model_config``)."""
        inputs = {
            t["name"]: TensorSpec(
                t["name"],
                DataType(t.get("data_type", "TYPE_INVALID")).api_name,
                tuple(int(d) for d in t.get("dims", ())),
                bool(t.get("optional", False)),
            )
            for t in config.get("input", ())
        }
        return cls(model, int(config.get("max_batch_size", 0) or 0), inputs)

    def expected_shape(self, spec: TensorSpec) -> list[int]:
        """The full shape an array must have: ``-1`` (any batch) first when the model batches."""
        return [-1, *spec.dims] if self.max_batch_size > 0 else list(spec.dims)

    @functools.cached_property
    def _fast(self) -> tuple[tuple[str, np.dtype[Any] | None, tuple[int, ...] | None, int], ...]:
        """Per input: name, numpy dtype, exact trailing dims (None with wildcards), rank."""
        batch = 1 if self.max_batch_size > 0 else 0
        rows = []
        for spec in self.inputs.values():
            dtype = None if spec.datatype == "BYTES" else DataType("TYPE_" + spec.datatype).numpy
            exact = None if any(d < 0 for d in spec.dims) else spec.dims
            rows.append((spec.name, dtype, exact, len(spec.dims) + batch))
        return tuple(rows)

    def fits(self, inputs: Tensors) -> bool:
        """A cheap yes for the common case (run on every request); no means look closer."""
        fast = self._fast
        if len(inputs) != len(fast):
            return False
        batched = self.max_batch_size > 0
        for name, dtype, exact, rank in fast:
            array = inputs.get(name)
            if type(array) is not np.ndarray or dtype is None or array.dtype != dtype:
                return False
            shape = array.shape
            if len(shape) != rank or exact is None:
                return False
            if batched:
                if shape[1:] != exact or not 0 < shape[0] <= self.max_batch_size:
                    return False
            elif shape != exact:
                return False
        return True


@functools.lru_cache(maxsize=64)
def _api_name(dtype: np.dtype[Any]) -> str:
    # cached: called for every input of every request
    if dtype.kind in ("O", "S", "U"):
        return "BYTES"
    try:
        return DataType.from_numpy(dtype).api_name
    except ValueError:
        return str(dtype)


def _datatype(array: Any) -> str:
    return _api_name(np.asarray(array).dtype)


def _names(names: Any) -> str:
    return ", ".join(repr(n) for n in sorted(names)) or "none"


def problems(signature: Signature, inputs: Tensors) -> list[str]:
    """Every way ``inputs`` disagree with ``signature`` (empty when they fit)."""
    found: list[str] = []
    expected = signature.inputs
    for name in inputs:
        if name not in expected:
            found.append(f"unknown input {name!r} — the model's inputs are {_names(expected)}")
    for spec in expected.values():
        if spec.name not in inputs:
            if not spec.optional:
                shape = signature.expected_shape(spec)
                found.append(f"input {spec.name!r} is missing — expected {spec.datatype} {shape}")
            continue
        found.extend(_tensor_problems(signature, spec, inputs[spec.name]))
    return found


def _tensor_problems(signature: Signature, spec: TensorSpec, array: Any) -> list[str]:
    found: list[str] = []
    if not isinstance(array, np.ndarray):
        return [f"input {spec.name!r} must be a numpy array (got {type(array).__name__})"]
    got_type = _datatype(array)
    if got_type != spec.datatype:
        found.append(f"input {spec.name!r} must be {spec.datatype} (got {got_type})")
    want = signature.expected_shape(spec)
    shape = list(array.shape)
    fits = len(shape) == len(want) and all(
        w < 0 or w == g for w, g in zip(want, shape, strict=True)
    )
    if not fits:
        found.append(f"input {spec.name!r} must have shape {want} (got {shape})")
    elif signature.max_batch_size > 0 and shape[0] > signature.max_batch_size:
        found.append(
            f"input {spec.name!r} has batch size {shape[0]} but max_batch_size is"
            f" {signature.max_batch_size} — split the request"
        )
    return found


def check_inputs(signature: Signature, inputs: Tensors) -> None:
    """Raise ``InputError`` naming the model and every problem, or return when inputs fit."""
    if signature.fits(inputs):
        return
    found = problems(signature, inputs)
    if found:
        raise InputError(signature.model, found)
