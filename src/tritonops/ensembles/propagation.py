"""Data type and shape agreement of each ensemble tensor: producer, consumers and ensemble I/O.

Like Triton, shapes are compared on dims first (``-1`` matches anything), then on full shapes
(``[-1] + dims`` for a batching model), so a tensor shared by a batching and a non-batching model
agrees when the non-batching one spells the batch dim. Ensemble I/O with ``reshape`` is compared by
its reshape shape; step-model tensors by their dims.

Beyond Triton's load-time check, an ensemble *input* declared ``-1`` where the step reading it needs
a fixed size is reported: Triton loads it, then fails requests of any other size (reference §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tritonops.ensembles import paths
from tritonops.ensembles.issues import Issue, IssueKind
from tritonops.ensembles.model_signature import ModelSig, TensorSig


@dataclass(frozen=True)
class _View:
    """How one party (ensemble I/O or a step's tensor) sees an ensemble tensor."""

    who: str  # "ensemble input" / "model 'm' input 'x'"
    path: str
    data_type: str
    dims: tuple[int, ...]
    batching: bool
    role: str  # "ensemble input", "ensemble output", "step input", "step output"

    @property
    def boundary_input(self) -> bool:
        return self.role == "ensemble input"

    @property
    def full(self) -> tuple[int, ...]:
        return (-1, *self.dims) if self.batching else self.dims


def check_propagation(ensemble: ModelSig, models: Mapping[str, ModelSig | None]) -> list[Issue]:
    """Type and shape disagreements, at most one of each per ensemble tensor."""
    views = _views(ensemble, models)
    issues: list[Issue] = []
    for tensor, seen in views.items():
        issues += _types(ensemble.name, tensor, seen)
        issues += _shapes(ensemble.name, tensor, seen)
    return issues


def _views(ensemble: ModelSig, models: Mapping[str, ModelSig | None]) -> dict[str, list[_View]]:
    views: dict[str, list[_View]] = {}
    batching = ensemble.max_batch_size > 0

    def add(tensor: str, view: _View) -> None:
        views.setdefault(tensor, []).append(view)

    for kind, tensors in (("input", ensemble.inputs), ("output", ensemble.outputs)):
        for i, sig in enumerate(tensors):
            add(
                sig.name,
                _View(
                    f"ensemble {kind} '{sig.name}'",
                    paths.tensor(kind, i),
                    sig.data_type,
                    _shape(sig),
                    batching,
                    f"ensemble {kind}",
                ),
            )
    for i, step in enumerate(ensemble.steps or ()):
        model = models.get(step.model_name)
        if model is None or not model.io_known:
            continue
        for field, pairs, lookup in (
            ("input_map", step.input_map, model.input),
            ("output_map", step.output_map, model.output),
        ):
            for key, tensor in pairs:
                found = lookup(key)
                if found is None:
                    continue  # reported by the step checks
                role = "input" if field == "input_map" else "output"
                add(
                    tensor,
                    _View(
                        f"model '{model.name}' {role} '{key}' (step {i})",
                        paths.step_map(i, field, key),
                        found.data_type,
                        found.dims,
                        model.max_batch_size > 0,
                        f"step {role}",
                    ),
                )
    return views


def _shape(sig: TensorSig) -> tuple[int, ...]:
    return sig.reshape if sig.reshape is not None else sig.dims


def _types(ensemble: str, tensor: str, seen: list[_View]) -> list[Issue]:
    first = seen[0]
    for other in seen[1:]:
        if other.data_type != first.data_type:
            at = other if not other.boundary_input else first
            return [
                Issue(
                    IssueKind.DTYPE_MISMATCH,
                    ensemble,
                    at.path,
                    f"ensemble tensor '{tensor}' of '{ensemble}' has inconsistent data types: "
                    f"{first.data_type} from {first.who} but {other.data_type} from {other.who}",
                    f"use one data type for '{tensor}' everywhere it is mapped "
                    f"(e.g. {first.data_type})",
                )
            ]
    return []


def _agree(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return len(a) == len(b) and all(x == y or x == -1 or y == -1 for x, y in zip(a, b, strict=True))


def _fmt(dims: tuple[int, ...]) -> str:
    return "[" + ",".join(str(d) for d in dims) + "]"


def _shapes(ensemble: str, tensor: str, seen: list[_View]) -> list[Issue]:
    for i, a in enumerate(seen):
        for b in seen[i + 1 :]:
            if not (_agree(a.dims, b.dims) or _agree(a.full, b.full)):
                at = b if not b.boundary_input else a
                return [
                    Issue(
                        IssueKind.SHAPE_MISMATCH,
                        ensemble,
                        at.path,
                        f"ensemble tensor '{tensor}' of '{ensemble}' has inconsistent shapes: "
                        f"{_fmt(a.full)} from {a.who} but {_fmt(b.full)} from {b.who}",
                        "make the dims agree (-1 matches any size; a non-batching model spells "
                        "the batch dim itself)",
                    )
                ]
    return _loose(ensemble, tensor, seen)


def _loose(ensemble: str, tensor: str, seen: list[_View]) -> list[Issue]:
    """An ensemble input left variable where a step reading it needs a fixed size."""
    boundary = next((v for v in seen if v.boundary_input), None)
    if boundary is None:
        return []
    for other in seen:
        if other.role != "step input":
            continue
        pairs = _aligned(boundary, other)
        if pairs is None:
            continue
        fixed = [(pos, need) for pos, (have, need) in enumerate(pairs) if have == -1 and need > 0]
        if fixed:
            return [
                Issue(
                    IssueKind.SHAPE_LOOSE,
                    ensemble,
                    boundary.path,
                    f"{boundary.who} of '{ensemble}' is declared {_fmt(boundary.dims)} but "
                    f"{other.who} needs {_fmt(other.dims)}; Triton loads this and then rejects "
                    "every request of another size",
                    f"declare the ensemble input with the step's dims {_fmt(other.dims)}",
                )
            ]
    return []


def _aligned(boundary: _View, step: _View) -> list[tuple[int, int]] | None:
    """Per-dimension (ensemble, step) pairs, leaving out a batch dim only one side spells."""
    if len(boundary.dims) == len(step.dims):
        return list(zip(boundary.dims, step.dims, strict=True))
    if boundary.batching and not step.batching and len(step.dims) == len(boundary.dims) + 1:
        return list(zip(boundary.dims, step.dims[1:], strict=True))
    if step.batching and not boundary.batching and len(boundary.dims) == len(step.dims) + 1:
        return list(zip(boundary.dims[1:], step.dims, strict=True))
    return None
