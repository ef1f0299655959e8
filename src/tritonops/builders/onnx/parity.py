"""The numeric gate: the artifact through onnxruntime against its source, on seeded random inputs.

Inputs follow the artifact's graph: floats are standard normal, integers are drawn from the range
seen in the example inputs (0..9 without examples), a scikit-learn sample is drawn row by row.
A batched artifact sees one batch of ``samples`` rows; an unbatched one ``samples`` separate runs.

An element passes when ``|artifact - source| <= atol + rtol * |source|`` (numpy's isclose).
``max_rel_error`` is reported over elements whose source value is at least ``atol`` in size, where
a relative error means something. With top-1 on, the share of rows whose argmax (or label) agrees
must also reach ``min_top1``; a label output is judged by that share alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from tritonops.builders.base import ParityResult
from tritonops.builders.onnx.failures import OnnxParityError, failing
from tritonops.builders.onnx.signature import dims_of, elem_type, graph_inputs
from tritonops.spec.onnx_build import ResolvedTolerance

Arrays = list[np.ndarray[Any, Any]]
Feeds = dict[str, np.ndarray[Any, Any]]
SEED = 0
# a symbolic dim other than the batch axis, with no example to copy its size from
_FREE_DIM = 4


@dataclass(frozen=True)
class Reference:
    """The source side of the comparison, and what it knows about realistic inputs."""

    run: Callable[[Feeds], Arrays]
    # example shapes (batch axis included) by input name, for sizes the graph leaves symbolic
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # (low, high) by input name for integer inputs, from the examples
    int_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    # rows to draw from by input name (a scikit-learn X_sample)
    rows: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)
    # which output holds class labels (scikit-learn classifiers); top-1 compares it directly
    label_output: int | None = None
    classifier: bool = False
    note: str = ""


def make_feeds(
    model: onnx.ModelProto, reference: Reference, rows: int, batched: bool, seed: int = SEED
) -> Feeds:
    """One set of inputs: ``rows`` along the batch axis when batched, else the graph's shapes."""
    rng = np.random.default_rng(seed)
    feeds: Feeds = {}
    for value in graph_inputs(model):
        dtype = onnx.helper.tensor_dtype_to_np_dtype(elem_type(value))
        pool = reference.rows.get(value.name)
        if pool is not None and batched:
            feeds[value.name] = pool[rng.integers(0, len(pool), size=rows)].astype(dtype)
            continue
        shape = _shape(dims_of(value), reference.shapes.get(value.name), rows if batched else None)
        if dtype.kind == "f":
            feeds[value.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind == "b":
            feeds[value.name] = rng.integers(0, 2, size=shape).astype(dtype)
        elif dtype.kind in "iu":
            low, high = reference.int_ranges.get(value.name, (0, 9))
            feeds[value.name] = rng.integers(low, high + 1, size=shape).astype(dtype)
        else:
            feeds[value.name] = np.full(shape, "a", dtype=object)
    return feeds


def _shape(
    dims: Sequence[int | str | None] | None, example: tuple[int, ...] | None, batch: int | None
) -> tuple[int, ...]:
    dims = list(dims) if dims is not None else list(example or (1,))
    out = []
    for i, dim in enumerate(dims):
        if i == 0 and batch is not None:
            out.append(batch)
        elif isinstance(dim, int) and dim > 0:
            out.append(dim)
        elif example is not None and i < len(example):
            out.append(example[i])
        else:
            out.append(_FREE_DIM)
    return tuple(out)


def run_artifact(model_bytes: bytes, feeds: Feeds, name: str) -> Arrays:
    import onnxruntime as ort

    with failing(name, "onnxruntime inference on the artifact", "check the graph's inputs"):
        session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        return [np.asarray(o) for o in session.run(None, feeds)]


def measure(
    name: str,
    model: onnx.ModelProto,
    reference: Reference,
    samples: int,
    batched: bool,
    tolerance: ResolvedTolerance,
    top1: bool,
) -> ParityResult:
    """Run both sides and compare; the result says whether it is within ``tolerance``."""
    model_bytes = model.SerializeToString()
    if batched:
        runs = [make_feeds(model, reference, samples, batched)]
    else:  # each unbatched run draws its own inputs from its own seed
        runs = [make_feeds(model, reference, 1, False, SEED + i) for i in range(samples)]
    got: list[Arrays] = []
    want: list[Arrays] = []
    for feeds in runs:
        got.append(run_artifact(model_bytes, feeds, name))
        with failing(name, "running the source on the parity inputs", "check the source model"):
            want.append([np.asarray(o) for o in reference.run(feeds)])
    joined_got = [np.concatenate([np.atleast_1d(g[i]) for g in got]) for i in range(len(got[0]))]
    joined_want = [np.concatenate([np.atleast_1d(w[i]) for w in want]) for i in range(len(want[0]))]
    return compare(joined_want, joined_got, reference, samples, tolerance, top1)


def compare(
    want: Arrays,
    got: Arrays,
    reference: Reference,
    samples: int,
    tolerance: ResolvedTolerance,
    top1: bool,
) -> ParityResult:
    max_abs = max_rel = 0.0
    within = True
    problems: list[str] = []
    count = min(len(want), len(got))
    if len(want) != len(got):
        problems.append(
            f"compared the first {count} outputs (source {len(want)}, artifact {len(got)})"
        )
    for i in range(count):
        if i == reference.label_output:
            continue  # labels agree or not; their share is the top-1 agreement below
        w, g = want[i].astype(np.float64), got[i].astype(np.float64)
        if w.shape != g.shape:
            if w.size != g.size:
                problems.append(f"output {i} has shape {g.shape}, the source gives {w.shape}")
                within = False
                continue
            w = w.reshape(g.shape)
        # equal values (infinities included) and NaN on both sides agree; any other NaN does not
        same = (g == w) | (np.isnan(g) & np.isnan(w))
        with np.errstate(invalid="ignore"):
            err = np.where(same, 0.0, np.nan_to_num(np.abs(g - w), nan=np.inf))
        w = np.nan_to_num(w, nan=0.0, posinf=0.0, neginf=0.0)
        if err.size:
            max_abs = max(max_abs, float(err.max()))
            meaningful = np.abs(w) >= max(tolerance.atol, 1e-12)
            if meaningful.any():
                max_rel = max(max_rel, float((err[meaningful] / np.abs(w[meaningful])).max()))
        within = within and bool(np.all(err <= tolerance.atol + tolerance.rtol * np.abs(w)))
    agreement = _top1(want, got, reference) if top1 else None
    ok = within and (agreement is None or agreement >= tolerance.min_top1)
    detail = "; ".join([*problems, reference.note] if reference.note else problems)
    limits = {"atol": tolerance.atol, "rtol": tolerance.rtol}
    if agreement is not None:
        limits["min_top1"] = tolerance.min_top1
    return ParityResult(ok, max_abs, max_rel, samples, agreement, limits, detail)


def _top1(want: Arrays, got: Arrays, reference: Reference) -> float | None:
    if reference.label_output is not None:
        w, g = want[reference.label_output], got[reference.label_output]
        return float(np.mean(w.reshape(-1) == g.reshape(-1)))
    for w, g in zip(want, got, strict=False):
        if w.dtype.kind == "f" and w.ndim >= 2 and w.shape == g.shape:
            return float(np.mean(np.argmax(w, axis=-1) == np.argmax(g, axis=-1)))
    return None


def gate(name: str, result: ParityResult, what: str, fix: str) -> None:
    """OnnxParityError with the numbers when ``result`` is not ok."""
    if result.ok:
        return
    t = result.tolerance
    numbers = (
        f"max abs error {result.max_abs_error:.3g}, max rel error {result.max_rel_error:.3g}"
        f" (atol {t.get('atol', 0):g}, rtol {t.get('rtol', 0):g})"
    )
    if result.top1_agreement is not None:
        numbers += f", top-1 agreement {result.top1_agreement:.3f} (min {t.get('min_top1', 0):g})"
    detail = f"; {result.detail}" if result.detail else ""
    raise OnnxParityError(
        f"model {name!r}: {what} disagrees with its source on {result.samples} samples:"
        f" {numbers}{detail} — {fix}",
        result,
    )
