"""The built-in load generator against fake sends (no server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from tritonops.perf.loadgen import SendOutcome, run_load, stable_windows


def test_closed_loop_never_exceeds_concurrency() -> None:
    in_flight, peak = 0, 0

    async def send(_i: int) -> SendOutcome:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.002)
        in_flight -= 1
        return SendOutcome(ok=True)

    samples = asyncio.run(run_load(send, concurrency=3, requests=30))
    assert len(samples) == 30
    assert peak == 3
    assert all(s.scheduled_s == s.started_s for s in samples)


def test_open_loop_issues_on_schedule_regardless_of_completions() -> None:
    async def send(_i: int) -> SendOutcome:
        await asyncio.sleep(0.3)  # longer than the whole 90 ms schedule
        return SendOutcome(ok=True)

    samples = asyncio.run(run_load(send, rate=100, requests=10))
    assert [s.scheduled_s for s in samples] == pytest.approx([i / 100 for i in range(10)])
    # every request was started before the first one finished: nothing waited for a completion
    assert max(s.started_s for s in samples) < min(s.finished_s for s in samples)


def test_open_loop_stall_shows_as_latency_of_requests_scheduled_during_it() -> None:
    lock = asyncio.Lock()

    async def send(i: int) -> SendOutcome:
        async with lock:  # a server that serves one request at a time
            await asyncio.sleep(0.2 if i == 2 else 0.001)
        return SendOutcome(ok=True)

    samples = asyncio.run(run_load(send, rate=100, requests=12))
    during = [s for s in samples if 0.02 < s.scheduled_s < 0.2]
    before = [s for s in samples if s.scheduled_s < 0.02]
    assert during
    assert min(s.latency_s for s in during) > max(s.latency_s for s in before)
    # latencies are measured from the scheduled time, not from when the request got going
    assert all(s.latency_s == pytest.approx(s.finished_s - s.scheduled_s) for s in samples)


def test_runs_are_bounded_by_count_or_time_and_stop_by_themselves() -> None:
    async def send(_i: int) -> SendOutcome:
        await asyncio.sleep(0.001)
        return SendOutcome(ok=True)

    by_time = asyncio.run(run_load(send, concurrency=2, duration_s=0.05))
    assert by_time
    assert max(s.started_s for s in by_time) < 0.05
    assert len(asyncio.run(run_load(send, rate=1000, arrival="poisson", requests=25))) == 25
    with pytest.raises(ValueError, match="bound the run"):
        asyncio.run(run_load(send, concurrency=1))
    with pytest.raises(ValueError, match="exactly one"):
        asyncio.run(run_load(send, concurrency=1, rate=5, requests=1))


def test_failures_and_exceptions_are_samples_and_warmup_is_dropped() -> None:
    async def send(i: int) -> SendOutcome:
        if i % 2:
            raise RuntimeError("boom")
        return SendOutcome(ok=True, payload=i)

    samples = asyncio.run(run_load(send, arrival=[0.0, 0.0, 0.02, 0.02, 0.03], warmup_s=0.01))
    assert [s.index for s in samples] == [2, 3, 4]
    assert [s.ok for s in samples] == [True, False, True]
    assert "boom" in samples[1].error


def test_poisson_is_reproducible_with_a_seed() -> None:
    async def send(_i: int) -> SendOutcome:
        return SendOutcome(ok=True)

    a = asyncio.run(run_load(send, rate=500, arrival="poisson", requests=20, seed=7))
    b = asyncio.run(run_load(send, rate=500, arrival="poisson", requests=20, seed=7))
    assert [s.scheduled_s for s in a] == [s.scheduled_s for s in b]
    assert (
        len({round(s.scheduled_s - t.scheduled_s, 9) for s, t in zip(a[1:], a, strict=False)}) > 1
    )


def test_stable_windows_needs_steady_throughput() -> None:
    from tritonops.perf.loadgen import Sample

    def sample(t: float) -> Sample:
        return Sample(0, t, t, t + 0.001, True, "", 0.001)

    steady = [sample(i * 0.01) for i in range(100)]
    assert stable_windows(steady, 0.2, 0.1) is not None
    bursty = [sample(i * 0.001) for i in range(50)] + [sample(0.5 + i * 0.05) for i in range(10)]
    assert stable_windows(bursty, 0.2, 0.1) is None


def test_callback_closed_loop_keeps_concurrency_and_survives_synchronous_completions() -> None:
    import threading

    from tritonops.perf.loadgen import run_closed_callbacks

    lock = threading.Lock()
    in_flight, peak = 0, 0

    def later(index: int, done: Callable[[SendOutcome], None]) -> None:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)

        def finish() -> None:
            nonlocal in_flight
            with lock:
                in_flight -= 1
            done(SendOutcome(ok=True, payload=index))

        threading.Timer(0.002, finish).start()  # completes on another thread, like gRPC

    samples = run_closed_callbacks(later, concurrency=3, requests=30)
    assert len(samples) == 30
    assert peak == 3
    assert all(s.scheduled_s == s.started_s and s.latency_s > 0 for s in samples)

    # a sender that completes inside issue() must not recurse once per request
    def immediate(index: int, done: Callable[[SendOutcome], None]) -> None:
        done(SendOutcome(ok=True))

    assert len(run_closed_callbacks(immediate, concurrency=2, requests=5000)) == 5000


def test_callback_closed_loop_records_failures_and_drops_warmup() -> None:
    from tritonops.perf.loadgen import run_closed_callbacks

    def flaky(index: int, done: Callable[[SendOutcome], None]) -> None:
        time.sleep(0.001)
        if index % 2:
            raise RuntimeError("boom")
        done(SendOutcome(ok=True))

    samples = run_closed_callbacks(flaky, concurrency=1, duration_s=0.05, warmup_s=0.02)
    assert samples
    assert min(s.started_s for s in samples) >= 0.02
    assert max(s.started_s for s in samples) < 0.07
    assert any(not s.ok and "boom" in s.error for s in samples)
    assert any(s.ok for s in samples)
    with pytest.raises(ValueError, match="bound the run"):
        run_closed_callbacks(flaky, concurrency=1)


def test_summarize_counts_completions_inside_the_span_like_perf_analyzer() -> None:
    from tritonops.perf.engine import summarize
    from tritonops.perf.loadgen import Sample

    # 1 request every 10 ms from t=1.0 to t=2.0; a few finish after the span ends
    samples = [
        Sample(i, 1 + i / 100, 1 + i / 100, 1 + i / 100 + 0.005, True, "", 0.005)
        for i in range(105)
    ]
    level = summarize(samples, 1, 1, 0.5, 0.2, span=(1.0, 2.0))
    assert level.throughput == pytest.approx(100)
    assert level.requests == 105
