"""``measure``: one model at several load levels, by perf_analyzer or the built-in load generator.

Both engines return the same ``PerfResult``. ``engine="auto"`` uses perf_analyzer when it can run
here and otherwise falls back to the built-in engine, recording why in ``PerfResult.notes``.
Server-side times come from Triton's metrics port, scraped before and after every level.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf import server_counters as prom
from tritonops.perf.analyzer import (
    GRPC_HEADERS,
    AnalyzerOptions,
    EmptyWindow,
    Range,
    RequestsFailed,
    UnstableLevel,
    profile_latencies,
    ready_analyzer,
    run_analyzer,
    stability_hint,
)
from tritonops.perf.inputs import DataMode, batch_tensors, input_data_json, write_input_data
from tritonops.perf.loadgen import (
    Sample,
    SendOutcome,
    run_closed_callbacks,
    run_load,
    stable_windows,
    windows,
)
from tritonops.perf.results import Latency, LevelResult, PerfResult, Reading, WindowSeen
from tritonops.redact import redact_url
from tritonops.triton.endpoint import Endpoint, fetch_config, parse_url

EngineChoice = Literal["auto", "perf_analyzer", "builtin"]


@dataclass(frozen=True)
class MeasureSpec:
    """What to measure and how. Give ``concurrency`` levels (closed loop) or ``rates`` (open)."""

    model: str
    url: str  # host:port = gRPC, http://host:port = HTTP
    concurrency: Sequence[int] = (1,)
    rates: Sequence[float] = ()
    batch_size: int = 1
    measurement_interval_ms: int = 1000
    stability_percentage: float = 20.0  # perf_analyzer's 10 rarely settles on 2 shared cores
    max_trials: int = 10
    percentile: int | None = None  # stabilize on it; p99 rarely settles here, so avg by default
    metrics_url: str | None = None
    input_mode: DataMode = "random"
    engine: EngineChoice = "auto"
    perf_analyzer: Path | None = None
    # sent on every request and config read; never written into the result
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


def measure(
    spec: MeasureSpec,
    *,
    config: ModelConfig | None = None,
    on_level: Callable[[LevelResult], None] | None = None,
    on_level_start: Callable[[float], None] | None = None,
) -> PerfResult:
    """Measure every load level of ``spec``; ``on_level_start(load)`` runs before each level
    and ``on_level(level)`` after it (the CLI's progress)."""
    endpoint = parse_url(spec.url, spec.headers)
    engine = spec.engine
    if engine == "perf_analyzer" and not analyzer_sends_headers(endpoint):
        raise PerfError(GRPC_HEADERS)  # before any call: it would drop them silently
    config = config or fetch_config(endpoint, spec.model)
    notes: list[str] = []
    if engine == "auto" and not analyzer_sends_headers(endpoint):
        engine = "builtin"
        notes.append(
            "headers over gRPC: using the built-in load generator (perf_analyzer sends -H "
            "headers over HTTP only)"
        )
    if engine == "auto":
        try:
            ready_analyzer(spec.perf_analyzer)
            engine = "perf_analyzer"
        except PerfError as exc:
            engine = "builtin"
            notes.append(f"perf_analyzer unavailable, using the built-in load generator: {exc}")
    levels: list[float] = list(spec.rates) if spec.rates else [float(c) for c in spec.concurrency]
    if not levels:
        raise PerfError("no load levels: give --concurrency or --rate")
    result = PerfResult(
        model=spec.model,
        engine="perf_analyzer" if engine == "perf_analyzer" else "builtin",
        url=redact_url(spec.url),  # results are stored and shared: never the credentials
        protocol=endpoint.protocol,
        load_kind="rate" if spec.rates else "concurrency",
        batch_size=spec.batch_size,
        notes=notes,
    )
    for load in levels:
        if on_level_start is not None:
            on_level_start(load)
        before = prom.scrape(spec.metrics_url) if spec.metrics_url else None
        if engine == "perf_analyzer":
            try:
                level = _analyzer_level(spec, endpoint, config, load)
            except UnstableLevel as exc:
                # the levels already measured stay; this one is reported with what it saw
                level = unstable_level(load, exc.windows)
                notes.append(f"load {load:g} was unstable: {exc}")
            except EmptyWindow as exc:
                level = unstable_level(load, [])
                notes.append(f"load {load:g} was not measured: {exc}")
            except RequestsFailed as exc:
                # as the built-in engine does when every request fails: an answer, not a figure
                raise PerfError(f"requests failed at load {load:g}: {exc}") from exc
        else:
            level = _builtin_level(spec, endpoint, config, load)
            if not level.stable:
                notes.append(
                    f"load {load:g} was unstable: its windows differed by more than "
                    f"{spec.stability_percentage:g} % — "
                    + stability_hint(spec.measurement_interval_ms, spec.stability_percentage)
                )
        if before is not None and spec.metrics_url:
            level = _with_metrics(
                level, prom.delta(before, prom.scrape(spec.metrics_url), spec.model)
            )
        result.levels.append(level)
        if on_level is not None:
            on_level(level)
    return result


def analyzer_sends_headers(endpoint: Endpoint) -> bool:
    """Whether perf_analyzer can send ``endpoint``'s headers (none, or HTTP: see GRPC_HEADERS)."""
    return not endpoint.headers or endpoint.protocol == "http"


def _sent_headers(endpoint: Endpoint) -> tuple[tuple[str, str], ...]:
    return tuple(endpoint.headers.items())


def _with_metrics(level: LevelResult, delta: prom.ModelDelta) -> LevelResult:
    return replace(
        level,
        server=level.server or delta.server,
        metrics={**level.metrics, **delta.as_metrics()},
    )


def _analyzer_level(
    spec: MeasureSpec, endpoint: Endpoint, config: ModelConfig, load: float
) -> LevelResult:
    with tempfile.TemporaryDirectory(prefix="tritonops-perf-") as tmp:
        data = write_input_data(
            input_data_json(config, mode=spec.input_mode), Path(tmp) / "input.json"
        )
        options = AnalyzerOptions(
            model=spec.model,
            url=endpoint.address,
            protocol=endpoint.protocol,
            concurrency=None if spec.rates else Range(load),
            request_rate=Range(load) if spec.rates else None,
            measurement_interval_ms=spec.measurement_interval_ms,
            stability_percentage=spec.stability_percentage,
            max_trials=spec.max_trials,
            percentile=spec.percentile,
            batch_size=spec.batch_size,
            input_data=data,
            csv_path=Path(tmp) / "out.csv",
            verbose=True,
            headers=_sent_headers(endpoint),
        )
        levels, _ = run_analyzer(options, binary=spec.perf_analyzer)
    return levels[0]


def unstable_level(load: float, seen: Sequence[WindowSeen]) -> LevelResult:
    """A level whose windows never agreed: the mean of what they saw, flagged unstable. Only the
    statistic perf_analyzer printed per window is known; the other percentiles are NaN."""
    nan = math.nan
    tput = sum(w.throughput for w in seen) / len(seen) if seen else nan
    avg = [w.latency_us for w in seen if w.latency_kind == "avg"]
    p99 = [w.latency_us for w in seen if w.latency_kind == "p99"]
    latency = Latency(
        p50_us=nan,
        p90_us=nan,
        p95_us=nan,
        p99_us=max(p99) if p99 else nan,
        avg_us=sum(avg) / len(avg) if avg else nan,
    )
    return LevelResult(load, tput, latency, stable=False, windows=list(seen))


def reading(
    spec: MeasureSpec, config: ModelConfig, load: int, engine: Literal["perf_analyzer", "builtin"]
) -> Reading:
    """One closed-loop measurement at concurrency ``load`` with every request's latency kept.

    perf_analyzer is run with a stability tolerance no window can miss, so it always measures
    three windows of ``measurement_interval_ms`` and writes each request's timestamps
    (``--profile-export-file``); the built-in engine measures three windows after a warm-up one
    and keeps its samples. Either way the caller can pool repeats and take
    percentiles over all their requests."""
    endpoint = parse_url(spec.url, spec.headers)
    if engine == "builtin":
        samples, span = _builtin_samples(spec, endpoint, config, float(load))
        ok = [s for s in samples if s.ok]
        if not ok:
            first = next((s.error for s in samples), "no request completed")
            raise PerfError(f"every request failed at concurrency {load}: {first}")
        start, end = span
        done = sum(1 for s in ok if start <= s.finished_s < end)
        tput = done * spec.batch_size / (end - start)
        return Reading(tput, tuple(s.latency_s * 1e6 for s in ok))
    with tempfile.TemporaryDirectory(prefix="tritonops-tune-") as tmp:
        data = write_input_data(
            input_data_json(config, mode=spec.input_mode), Path(tmp) / "input.json"
        )
        interval = spec.measurement_interval_ms
        for attempt in range(3):
            try:
                return _analyzer_reading(spec, endpoint, data, load, interval, Path(tmp))
            except EmptyWindow:
                # a stall (a model just reloaded, a busy machine): twice as long, twice at most
                if attempt == 2:
                    raise
                interval *= 2
    raise AssertionError("unreachable")


def _analyzer_reading(
    spec: MeasureSpec, endpoint: Endpoint, data: Path, load: int, interval_ms: int, tmp: Path
) -> Reading:
    options = AnalyzerOptions(
        model=spec.model,
        url=endpoint.address,
        protocol=endpoint.protocol,
        concurrency=Range(load),
        measurement_interval_ms=interval_ms,
        stability_percentage=10_000,  # never "unstable": three windows, then stop
        max_trials=3,
        batch_size=spec.batch_size,
        input_data=data,
        csv_path=tmp / "out.csv",
        profile_export=tmp / "profile.json",
        headers=_sent_headers(endpoint),
    )
    levels, _ = run_analyzer(options, binary=spec.perf_analyzer)
    latencies = profile_latencies(tmp / "profile.json").get(float(load), [])
    if not latencies:
        raise PerfError(f"perf_analyzer kept no request at concurrency {load}")
    return Reading(levels[0].throughput, tuple(latencies))


def _builtin_level(
    spec: MeasureSpec, endpoint: Endpoint, config: ModelConfig, load: float
) -> LevelResult:
    """One level, measured as perf_analyzer measures it: a warm-up window, then requests
    completed inside the measurement span over that span (three windows: perf_analyzer's minimum
    for a stable verdict)."""
    samples, span = _builtin_samples(spec, endpoint, config, load)
    window_s = spec.measurement_interval_ms / 1000
    level = summarize(
        samples, load, spec.batch_size, window_s, spec.stability_percentage / 100, span=span
    )
    return level


def _builtin_samples(
    spec: MeasureSpec, endpoint: Endpoint, config: ModelConfig, load: float
) -> tuple[list[Sample], tuple[float, float]]:
    """Every measured request at one level and the measurement span (after a warm-up window)."""
    tensors = batch_tensors(config, spec.batch_size, spec.input_mode)
    window_s = spec.measurement_interval_ms / 1000
    warmup_s, duration_s = window_s, 3 * window_s
    issuer = None if spec.rates else endpoint.issuer(spec.model, config, tensors, int(load))
    if issuer is not None:  # closed loop over gRPC: callbacks, no event loop
        issue, close_issuer = issuer
        try:
            samples = run_closed_callbacks(
                issue, concurrency=int(load), duration_s=duration_s, warmup_s=warmup_s
            )
        finally:
            close_issuer()
    else:
        samples = asyncio.run(
            _run_async(spec, endpoint, config, tensors, load, warmup_s, duration_s)
        )
    return list(samples), (warmup_s, warmup_s + duration_s)


async def _run_async(
    spec: MeasureSpec,
    endpoint: Endpoint,
    config: ModelConfig,
    tensors: Any,
    load: float,
    warmup_s: float,
    duration_s: float,
) -> list[Any]:
    send, close = endpoint.sender(spec.model, config, tensors)
    try:
        return await run_load(
            send,
            concurrency=None if spec.rates else int(load),
            rate=load if spec.rates else None,
            duration_s=duration_s,
            warmup_s=warmup_s,
        )
    finally:
        await close()


def summarize(
    samples: Sequence[Any],
    load: float,
    batch_size: int,
    window_s: float,
    tolerance: float,
    *,
    span: tuple[float, float] | None = None,
) -> LevelResult:
    """Loadgen samples to a level: throughput and latency percentiles in µs.

    With ``span`` (start, end in the run's seconds) throughput is what perf_analyzer reports:
    requests that completed inside the span, over its length. Without it, the span runs from the
    first scheduled request to the last completion."""
    ok = [s for s in samples if s.ok]
    if not ok:
        first = next((s.error for s in samples), "no request completed")
        raise PerfError(f"every request failed at load {load:g}: {first}")
    if span is not None:
        start, end = span
        completed = sum(1 for s in ok if start <= s.finished_s < end)
        length = end - start
    else:
        completed = len(ok)
        length = max(s.finished_s for s in samples) - min(s.scheduled_s for s in samples)
    lat = np.array([s.latency_s for s in ok]) * 1e6
    p50, p90, p95, p99 = (float(np.percentile(lat, q)) for q in (50, 90, 95, 99))
    seen = [
        WindowSeen(w.throughput * batch_size, w.avg_latency_s * 1e6, "avg")
        for w in windows(ok, window_s / 2)
    ]
    return LevelResult(
        load=load,
        throughput=completed * batch_size / length if length > 0 else 0.0,
        latency=Latency(p50_us=p50, p90_us=p90, p95_us=p95, p99_us=p99, avg_us=float(lat.mean())),
        requests=len(samples),
        errors=len(samples) - len(ok),
        stable=stable_windows(samples, window_s / 2, tolerance) is not None,
        windows=seen,
    )


# re-exported for the A/B runner and tests that want a ready sender
__all__ = ["MeasureSpec", "SendOutcome", "analyzer_sends_headers", "measure", "summarize"]
