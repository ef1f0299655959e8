"""The built-in load generator: closed and open loop over any async ``send`` callable.

One engine serves ``tritonops perf --engine builtin`` and the A/B runner, so both measure the same
way. ``send(index)`` performs one request and reports a :class:`SendOutcome`; the generator decides
*when* to call it and records a :class:`Sample` per request.

Closed loop (``concurrency=C``): C workers, each sending its next request when its previous one
returns; latency is measured from the actual start. Open loop (``rate=R`` or a recorded trace):
requests are issued at their scheduled times whether or not earlier ones finished, and latency is
measured from the *scheduled* time, so a stall on the server (or in this process) shows up as
latency instead of silently lowering the offered load (coordinated omission).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import statistics
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

# what a send reports and the closed loop's issue callback are the Triton boundary's types
from tritonops.triton.exchange import IssueFn as IssueFn
from tritonops.triton.exchange import SendOutcome as SendOutcome

Arrival: TypeAlias = Literal["constant", "poisson"] | Sequence[float]


@dataclass(frozen=True)
class Sample:
    """One measured request. Times are seconds since the run started (warm-up included)."""

    index: int
    scheduled_s: float
    started_s: float
    finished_s: float
    ok: bool
    error: str
    latency_s: float
    payload: object = None


SendFn = Callable[[int], Awaitable[SendOutcome]]


async def run_load(
    send: SendFn,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    arrival: Arrival = "constant",
    requests: int | None = None,
    duration_s: float | None = None,
    warmup_s: float = 0.0,
    seed: int = 0,
    on_sample: Callable[[Sample], None] | None = None,
) -> list[Sample]:
    """Drive ``send`` under a closed loop (``concurrency``) or an open loop (``rate``/trace).

    The run is bounded by ``requests`` (measured requests, warm-up excluded) and/or ``duration_s``
    (measured time after ``warmup_s``); whichever comes first ends it. Requests still in flight at
    the end are awaited and recorded. Requests scheduled during the warm-up are sent, not returned.
    """
    open_loop = rate is not None or not isinstance(arrival, str)
    if open_loop == (concurrency is not None):
        raise ValueError("give exactly one of concurrency= (closed) or rate=/a trace (open loop)")
    if concurrency is not None and concurrency < 1:
        raise ValueError(f"concurrency must be >= 1 (got {concurrency})")
    if rate is not None and rate <= 0:
        raise ValueError(f"rate must be > 0 requests/s (got {rate})")
    if isinstance(arrival, str) and arrival not in ("constant", "poisson"):
        raise ValueError(f"arrival must be 'constant', 'poisson' or offsets (got {arrival!r})")
    trace = None if isinstance(arrival, str) else list(arrival)
    if requests is None and duration_s is None and trace is None:
        raise ValueError("bound the run with requests= and/or duration_s=")
    if warmup_s < 0:
        raise ValueError(f"warmup_s must be >= 0 (got {warmup_s})")

    recorder = _Recorder(warmup_s, on_sample)
    if concurrency is not None:
        await _closed_loop(send, concurrency, requests, duration_s, warmup_s, recorder)
    else:
        schedule = _schedule(rate, arrival, trace, seed)
        await _open_loop(send, schedule, requests, duration_s, warmup_s, recorder)
    return sorted(recorder.samples, key=lambda s: s.index)


class _Recorder:
    """Timestamps relative to one origin; keeps measured samples, drops warm-up ones."""

    def __init__(self, warmup_s: float, on_sample: Callable[[Sample], None] | None) -> None:
        self.origin = time.perf_counter()
        self.warmup_s = warmup_s
        self.on_sample = on_sample
        self.samples: list[Sample] = []
        self.measured = 0  # measured requests *issued* so far (the count bound)

    def now(self) -> float:
        return time.perf_counter() - self.origin

    async def call(self, send: SendFn, index: int, scheduled: float | None) -> None:
        # closed loop (no schedule): a request is due when its worker gets to it
        started = self.now()
        open_loop = scheduled is not None
        if scheduled is None:
            scheduled = started
        try:
            outcome = await send(index)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing request is data, not a crash of the run
            outcome = SendOutcome(ok=False, error=f"{type(exc).__name__}: {exc}")
        self.keep(index, scheduled, started, outcome, open_loop=open_loop)

    def keep(
        self, index: int, scheduled: float, started: float, outcome: SendOutcome, *, open_loop: bool
    ) -> None:
        """Record a request that just finished, unless it was due during the warm-up; latency
        runs from its scheduled time in an open loop, from its start in a closed one."""
        finished = self.now()
        if scheduled < self.warmup_s:
            return
        origin = scheduled if open_loop else started
        sample = Sample(
            index=index,
            scheduled_s=scheduled,
            started_s=started,
            finished_s=finished,
            ok=outcome.ok,
            error=outcome.error,
            latency_s=finished - origin,
            payload=outcome.payload,
        )
        self.samples.append(sample)  # list.append is atomic: callbacks may come from any thread
        if self.on_sample is not None:
            self.on_sample(sample)


async def _closed_loop(
    send: SendFn,
    concurrency: int,
    requests: int | None,
    duration_s: float | None,
    warmup_s: float,
    rec: _Recorder,
) -> None:
    deadline = math.inf if duration_s is None else warmup_s + duration_s
    counter = 0

    def claim() -> int | None:
        # a single event loop thread: no lock needed between the check and the increment
        nonlocal counter
        now = rec.now()
        if now >= deadline:
            return None
        if now >= warmup_s:
            if requests is not None and rec.measured >= requests:
                return None
            rec.measured += 1
        counter += 1
        return counter - 1

    async def worker() -> None:
        while (index := claim()) is not None:
            await rec.call(send, index, None)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def run_closed_callbacks(
    issue: IssueFn,
    *,
    concurrency: int,
    requests: int | None = None,
    duration_s: float | None = None,
    warmup_s: float = 0.0,
    on_sample: Callable[[Sample], None] | None = None,
) -> list[Sample]:
    """A closed loop without an event loop, for senders that complete through callbacks.

    ``issue(index, done)`` starts request ``index`` and returns; ``done(outcome)`` is called once
    when it ends, from any thread (or from inside ``issue``). Each of the ``concurrency`` slots
    sends its next request from that callback, so no Python thread of ours waits in between: with
    gRPC's ``future()`` this costs the least Python per request of the ways measured here. Bounds,
    warm-up and the returned samples are exactly those of :func:`run_load`'s closed loop.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1 (got {concurrency})")
    if requests is None and duration_s is None:
        raise ValueError("bound the run with requests= and/or duration_s=")
    if warmup_s < 0:
        raise ValueError(f"warmup_s must be >= 0 (got {warmup_s})")
    rec = _Recorder(warmup_s, on_sample)
    deadline = math.inf if duration_s is None else warmup_s + duration_s
    lock = threading.Lock()
    all_done = threading.Event()
    counter = 0
    active = concurrency

    def claim() -> int | None:
        nonlocal counter, active
        with lock:
            now = rec.now()
            stop = now >= deadline or (
                now >= warmup_s and requests is not None and rec.measured >= requests
            )
            if stop:
                active -= 1
                if active == 0:
                    all_done.set()
                return None
            if now >= warmup_s:
                rec.measured += 1
            counter += 1
            return counter - 1

    def record(index: int, started: float, outcome: SendOutcome) -> None:
        rec.keep(index, started, started, outcome, open_loop=False)

    def slot(index: int | None) -> None:
        # A trampoline: a request that completes while ``issue`` is still running (an immediate
        # error, a synchronous sender) continues this loop instead of recursing from ``done``.
        while index is not None:
            state = {"issuing": True, "done": False}
            state_lock = threading.Lock()
            started = rec.now()

            def done(
                outcome: SendOutcome,
                i: int = index,
                t: float = started,
                st: dict[str, bool] = state,
                lk: threading.Lock = state_lock,
            ) -> None:
                record(i, t, outcome)
                with lk:
                    if st["issuing"]:
                        st["done"] = True
                        return
                slot(claim())  # completed on another thread: that thread sends the next one

            try:
                issue(index, done)
            except Exception as exc:  # a failing request is data, not a crash of the run
                with state_lock:
                    already = state["done"]
                if not already:
                    done(SendOutcome(ok=False, error=f"{type(exc).__name__}: {exc}"))
            with state_lock:
                state["issuing"] = False
                if not state["done"]:
                    return  # ``done`` will run later, on the sender's thread, and continue
            index = claim()

    for _ in range(concurrency):
        slot(claim())
    all_done.wait()
    return sorted(rec.samples, key=lambda s: s.index)


def _schedule(
    rate: float | None, arrival: Arrival, trace: list[float] | None, seed: int
) -> Callable[[int], float | None]:
    """Offset (s, from the run's start) of request ``i``; ``None`` once a trace is exhausted."""
    if trace is not None:
        if any(b < a for a, b in itertools.pairwise(trace)) or (trace and trace[0] < 0):
            raise ValueError("an arrival trace must be non-negative, non-decreasing offsets")
        return lambda i: trace[i] if i < len(trace) else None
    assert rate is not None
    if arrival == "constant":
        return lambda i: i / rate
    rng = random.Random(seed)
    offsets: list[float] = []

    def poisson(i: int) -> float:
        while len(offsets) <= i:
            previous = offsets[-1] if offsets else 0.0
            offsets.append(previous + rng.expovariate(rate))
        return offsets[i]

    return poisson


async def _open_loop(
    send: SendFn,
    schedule: Callable[[int], float | None],
    requests: int | None,
    duration_s: float | None,
    warmup_s: float,
    rec: _Recorder,
) -> None:
    deadline = math.inf if duration_s is None else warmup_s + duration_s
    pending: set[asyncio.Task[None]] = set()
    index = 0
    while True:
        at = schedule(index)
        if at is None or at >= deadline:
            break
        if at >= warmup_s:
            if requests is not None and rec.measured >= requests:
                break
            rec.measured += 1
        delay = at - rec.now()
        if delay > 0:
            await asyncio.sleep(delay)
        # issue on time even if earlier requests are still running: that is the open loop
        task = asyncio.create_task(rec.call(send, index, at))
        pending.add(task)
        task.add_done_callback(pending.discard)
        index += 1
    if pending:
        await asyncio.gather(*pending)


@dataclass(frozen=True)
class Window:
    """Requests that finished in ``[start_s, end_s)``: their throughput and latency."""

    start_s: float
    end_s: float
    count: int
    errors: int
    throughput: float
    avg_latency_s: float


def windows(samples: Sequence[Sample], window_s: float) -> list[Window]:
    """Cut the run into consecutive windows of ``window_s`` by finish time (full windows only)."""
    if window_s <= 0:
        raise ValueError(f"window_s must be > 0 (got {window_s})")
    if not samples:
        return []
    first = min(s.started_s for s in samples)
    last = max(s.finished_s for s in samples)
    n = int((last - first) // window_s)
    buckets: list[list[Sample]] = [[] for _ in range(n)]
    for s in samples:
        k = int((s.finished_s - first) // window_s)
        if 0 <= k < n:
            buckets[k].append(s)
    out = []
    for k, bucket in enumerate(buckets):
        ok = [s.latency_s for s in bucket if s.ok]
        out.append(
            Window(
                start_s=first + k * window_s,
                end_s=first + (k + 1) * window_s,
                count=len(bucket),
                errors=len(bucket) - len(ok),
                throughput=len(ok) / window_s,
                avg_latency_s=statistics.fmean(ok) if ok else math.nan,
            )
        )
    return out


def stable_windows(
    samples: Sequence[Sample], window_s: float, tolerance: float = 0.10, count: int = 3
) -> list[Window] | None:
    """The last ``count`` consecutive windows whose throughput and average latency each stay
    within ``tolerance`` (a fraction) of their mean — perf_analyzer's stability rule — or ``None``
    when the run never settled."""
    ws = windows(samples, window_s)
    for end in range(len(ws), count - 1, -1):
        group = ws[end - count : end]
        if _within(group, tolerance):
            return group
    return None


def _within(group: Sequence[Window], tolerance: float) -> bool:
    for values in ([w.throughput for w in group], [w.avg_latency_s for w in group]):
        if any(math.isnan(v) for v in values):
            return False
        mean = statistics.fmean(values)
        if mean <= 0 or any(abs(v - mean) > tolerance * mean for v in values):
            return False
    return True
