"""Request data from a model's config: numpy tensors for the built-in engine, and the
``--input-data`` JSON for perf_analyzer (random, zeros, or rows of a dataset; strings included)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from tritonops.errors import PerfError
from tritonops.model_config import DataType, ModelConfig
from tritonops.model_config.samples import sample_input

DataMode = Literal["random", "zero"]


def batch_tensors(
    config: ModelConfig, batch_size: int = 1, mode: DataMode = "random", seed: int = 0
) -> dict[str, NDArray[Any]]:
    """One request's inputs (required ones), with the batch dim when the model batches."""
    if config.max_batch_size == 0 and batch_size != 1:
        raise PerfError(f"{config.name!r} does not batch (max_batch_size 0): use batch size 1")
    rng = np.random.default_rng(seed) if mode == "random" else None
    return {
        t.name: sample_input(t, config, batch_size, rng) for t in config.input if not t.optional
    }


def _content(array: NDArray[Any]) -> list[Any]:
    flat = array.reshape(-1)
    if array.dtype == np.object_:
        return [v.decode() if isinstance(v, bytes) else str(v) for v in flat]
    return [v.item() for v in flat]


def input_data_json(
    config: ModelConfig,
    *,
    mode: DataMode = "random",
    dataset: Mapping[str, NDArray[Any]] | None = None,
    count: int = 8,
    seed: int = 0,
) -> dict[str, Any]:
    """perf_analyzer's input-data document: ``count`` entries (or one per dataset row) of
    per-sample tensors (no batch dim: perf_analyzer stacks ``-b`` of them)."""
    entries: list[dict[str, Any]] = []
    tensors = [t for t in config.input if not t.optional]
    if dataset is not None:
        missing = [t.name for t in tensors if t.name not in dataset]
        if missing:
            raise PerfError(f"the dataset has no column for input(s) {missing} of {config.name!r}")
        rows = min(len(dataset[t.name]) for t in tensors)
        if rows == 0:
            raise PerfError("the dataset is empty")
        for i in range(rows):
            entry = {}
            for t in tensors:
                row = np.asarray(dataset[t.name][i])
                if config.max_batch_size == 0:
                    row = row.reshape([d if d > 0 else -1 for d in t.dims] or [1])
                entry[t.name] = {"content": _content(row), "shape": list(row.shape)}
            entries.append(entry)
        return {"data": entries}
    rng = np.random.default_rng(seed) if mode == "random" else None
    for _ in range(count):
        entry = {}
        for t in tensors:
            array = sample_input(t, config, 1, rng)
            if config.max_batch_size > 0:
                array = array[0]
            if t.data_type is DataType.TYPE_STRING and rng is not None:
                # distinct strings per entry, so a response cache cannot flatter the numbers
                words = [f"text-{int(rng.integers(0, 1_000_000))}" for _ in range(array.size)]
                array = np.array(words, dtype=np.object_).reshape(array.shape)
            entry[t.name] = {"content": _content(array), "shape": list(array.shape)}
        entries.append(entry)
    return {"data": entries}


def write_input_data(document: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path
