"""The requests an experiment sends: from a dataset file, or synthesized from the model's config.

- ``.npz``: one array per input, keyed by the input's name, rows are requests; the array named by
  the experiment's ``labels`` holds the expected answers; an array named like ``sticky_key``
  (e.g. ``user_id``) gives each row's user.
- ``.jsonl``: one JSON object per line, ``{"<input>": [...], ..., "<labels>": 3, "user_id": "u7"}``;
  every key that is neither the label nor the sticky key is an input.
- synthesized: random inputs shaped and typed by the served model's config (no labels).

Every request carries a user key for sticky routing: the dataset's own when it has one, else one of
``users`` synthetic users chosen by a seeded generator, so reruns route the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tritonops.errors import ExperimentError
from tritonops.model_config.config import ModelConfig, ModelInput
from tritonops.model_config.enums import DataType
from tritonops.model_config.samples import sample_inputs

DEFAULT_USERS = 1000


@dataclass(frozen=True)
class WorkItem:
    """One request: its input tensors (batch of one where the model batches), label, and user."""

    inputs: dict[str, NDArray[Any]]
    label: Any
    key: str


@dataclass(frozen=True)
class Workload:
    items: list[WorkItem]
    source: str

    def __post_init__(self) -> None:
        if not self.items:
            raise ExperimentError(f"the workload from {self.source} has no requests")

    def __len__(self) -> int:
        return len(self.items)

    def item(self, index: int) -> WorkItem:
        """Request ``index``; the workload repeats when a run sends more requests than it has."""
        return self.items[index % len(self.items)]

    @property
    def labelled(self) -> bool:
        return any(item.label is not None for item in self.items)


def _users(count: int, users: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [f"user-{u}" for u in rng.integers(0, users, size=count)]


def _row(value: Any, batched: bool) -> NDArray[Any]:
    # a row of a 1-D array is a numpy scalar (np.str_ is a str, which cannot take np.newaxis)
    array = np.asarray(value)
    return array[np.newaxis, ...] if batched else array


def _label(value: Any) -> Any:
    # numpy scalars become plain Python so labels compare and serialize simply
    return value.item() if isinstance(value, np.generic) else value


def from_npz(
    path: Path,
    *,
    labels: str | None = None,
    sticky_key: str | None = None,
    batched: bool = True,
    users: int = DEFAULT_USERS,
    seed: int = 0,
) -> Workload:
    """Rows of the arrays in ``path``; ``batched`` adds the batch dimension of one."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"cannot read the dataset {path}: {exc}") from exc
    if labels is not None and labels not in arrays:
        raise ExperimentError(
            f"{path} has no array {labels!r} (has {', '.join(sorted(arrays))})"
            " — name the labels array in the experiment's 'labels'"
        )
    inputs = {k: v for k, v in arrays.items() if k not in (labels, sticky_key)}
    if not inputs:
        raise ExperimentError(f"{path} holds no input arrays, only labels/keys")
    rows = {len(v) for v in arrays.values()}
    if len(rows) != 1:
        sizes = ", ".join(f"{k}: {len(v)}" for k, v in arrays.items())
        raise ExperimentError(f"the arrays of {path} differ in length ({sizes}) — one row each")
    count = rows.pop()
    keys = (
        [str(_label(k)) for k in arrays[sticky_key]]
        if sticky_key is not None and sticky_key in arrays
        else _users(count, users, seed)
    )
    items = [
        WorkItem(
            {name: _row(array[i], batched) for name, array in inputs.items()},
            _label(arrays[labels][i]) if labels is not None else None,
            keys[i],
        )
        for i in range(count)
    ]
    return Workload(items, f"npz:{path}")


def _tensor(name: str, value: Any, dtypes: Mapping[str, np.dtype[Any]], where: str) -> NDArray[Any]:
    if name in dtypes:
        return np.asarray(value, dtype=dtypes[name])
    array = np.asarray(value)
    if array.dtype.kind == "U":  # text inputs travel as bytes objects (Triton's BYTES)
        encoded: NDArray[Any] = np.vectorize(lambda s: s.encode(), otypes=[np.object_])(array)
        return encoded
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    if array.dtype.kind not in "iub":
        raise ExperimentError(f"{where}: input {name!r} is neither numbers nor text")
    return array


def from_jsonl(
    path: Path,
    *,
    labels: str | None = None,
    sticky_key: str | None = None,
    dtypes: Mapping[str, np.dtype[Any]] | None = None,
    batched: bool = True,
    users: int = DEFAULT_USERS,
    seed: int = 0,
) -> Workload:
    """One request per non-empty line; ``dtypes`` (from the model config) types the inputs."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ExperimentError(f"cannot read the dataset {path}: {exc}") from exc
    records: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExperimentError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise ExperimentError(f"{path}:{number}: each line must be a JSON object")
        records.append((number, record))
    fallback = _users(len(records), users, seed)
    items: list[WorkItem] = []
    for i, (number, record) in enumerate(records):
        where = f"{path}:{number}"
        if labels is not None and labels not in record:
            raise ExperimentError(f"{where}: no label {labels!r} — add it to every line")
        tensors = {
            name: _row(_tensor(name, value, dtypes or {}, where), batched)
            for name, value in record.items()
            if name not in (labels, sticky_key)
        }
        if not tensors:
            raise ExperimentError(f"{where}: no inputs, only the label/key")
        key = str(record[sticky_key]) if sticky_key and sticky_key in record else fallback[i]
        items.append(WorkItem(tensors, record.get(labels) if labels else None, key))
    return Workload(items, f"jsonl:{path}")


def config_from_served(served: Mapping[str, Any]) -> ModelConfig:
    """The parts of a served model config (Triton's JSON) a workload needs: inputs and batching."""
    inputs = []
    for tensor in served.get("input", []):
        inputs.append(
            ModelInput(
                name=str(tensor["name"]),
                data_type=DataType(str(tensor["data_type"])),
                dims=[int(d) for d in tensor.get("dims", [])],
                optional=bool(tensor.get("optional", False)),
            )
        )
    return ModelConfig(
        name=str(served.get("name", "")),
        max_batch_size=int(served.get("max_batch_size", 0)),
        input=inputs,
    )


def synthesize(
    config: ModelConfig, count: int = 256, *, users: int = DEFAULT_USERS, seed: int = 0
) -> Workload:
    """``count`` random requests typed and shaped by ``config`` (batch of one where it batches)."""
    if not config.input:
        raise ExperimentError(f"model {config.name!r} declares no inputs to synthesize")
    rng = np.random.default_rng(seed)
    keys = _users(count, users, seed + 1)
    items = [WorkItem(sample_inputs(config, 1, rng), None, keys[i]) for i in range(count)]
    return Workload(items, f"synthesized:{config.name}")


def dtypes_of(inputs: Sequence[ModelInput]) -> dict[str, np.dtype[Any]]:
    """numpy dtypes of the config's inputs (strings stay as Python objects)."""
    out: dict[str, np.dtype[Any]] = {}
    for tensor in inputs:
        dtype = tensor.data_type.numpy
        if dtype is not None:
            out[tensor.name] = dtype
    return out


def load_workload(
    dataset: Path | None,
    config: ModelConfig,
    *,
    labels: str | None = None,
    sticky_key: str | None = None,
    count: int = 256,
    seed: int = 0,
) -> Workload:
    """The experiment's workload: its dataset file when it names one, else synthesized."""
    batched = config.max_batch_size > 0
    if dataset is None:
        return synthesize(config, count, seed=seed)
    if dataset.suffix == ".npz":
        return from_npz(dataset, labels=labels, sticky_key=sticky_key, batched=batched, seed=seed)
    if dataset.suffix == ".jsonl":
        return from_jsonl(
            dataset,
            labels=labels,
            sticky_key=sticky_key,
            dtypes=dtypes_of(config.input),
            batched=batched,
            seed=seed,
        )
    raise ExperimentError(f"dataset {dataset} must be an .npz or .jsonl file")


def is_correct(outputs: Mapping[str, NDArray[Any]], label: Any) -> bool:
    """Whether the first output answers ``label``.

    A float vector is a score per class, so its argmax is the answer; anything else (a class id,
    a string) is compared as a single value.
    """
    if not outputs:
        return False
    value = np.asarray(next(iter(outputs.values())))
    flat = value.reshape(-1)
    if value.dtype.kind == "f" and flat.size > 1:
        return int(np.argmax(flat)) == int(label)
    if flat.size != 1:
        return False
    answer = flat[0]
    if isinstance(answer, bytes) and isinstance(label, str):
        answer = answer.decode("utf-8", "replace")
    return bool(_label(answer) == label)
