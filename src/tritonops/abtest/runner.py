"""Run an experiment: its workload through ``AsyncRouter`` under the built-in load loop.

Closed loop (``concurrency``) or open loop (``rate``, latency from each request's *scheduled* send
time, so a stall shows as latency rather than as fewer requests). Both arms share one loop, so they
are measured at the same load, interleaved request by request — the fair comparison on a noisy
machine. The router runs without fallback: a candidate's failure counts against the candidate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tritonops.abtest.server_guard import Snapshot, delta, parse_metrics
from tritonops.abtest.verdict import ArmSamples, Policy, Verdict, decide
from tritonops.abtest.workload import Workload, config_from_served, is_correct, load_workload
from tritonops.client.router import AsyncRouter
from tritonops.client.transport import AsyncTransport
from tritonops.errors import ClientError, ExperimentError
from tritonops.perf.loadgen import Sample, SendOutcome, run_load
from tritonops.redact import scrub
from tritonops.spec import ExperimentSpec


@dataclass(frozen=True)
class Load:
    """How hard and how long: exactly one of concurrency/rate, at least one of requests/duration."""

    concurrency: int | None = None
    rate: float | None = None
    requests: int | None = None
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if (self.concurrency is None) == (self.rate is None):
            raise ExperimentError("give exactly one of --concurrency (closed loop) or --rate")
        if self.requests is None and self.duration_s is None:
            raise ExperimentError("bound the run with --requests N or --duration S")

    @property
    def mode(self) -> str:
        return "closed" if self.concurrency is not None else "open"


@dataclass(frozen=True)
class RequestSample:
    """One measured request as the report keeps it (``t_s``: finish time since the start)."""

    variant: str
    t_s: float
    latency_ms: float
    ok: bool
    correct: bool | None
    error: str = ""


@dataclass(frozen=True)
class ShadowSummary:
    target: str
    count: int
    errors: int
    agreement: float | None
    latencies_ms: list[float]
    # mirrored copies the router dropped because too many shadows were in flight
    dropped: int = 0


@dataclass(frozen=True)
class RunData:
    """Everything one run measured, before any judgement."""

    experiment: ExperimentSpec
    url: str
    protocol: str
    load: Load
    seed: int
    workload: Workload
    started_at: str
    duration_s: float
    samples: list[RequestSample]
    weights: dict[str, float]
    shadow: ShadowSummary | None
    server: Snapshot | None

    def arm(self, name: str) -> ArmSamples:
        mine = [s for s in self.samples if s.variant == name]
        ok = [s.latency_ms for s in mine if s.ok]
        judged = [s.correct for s in mine if s.ok and s.correct is not None]
        return ArmSamples(
            name,
            np.asarray(ok, dtype=np.float64),
            len(mine),
            len(mine) - len(ok),
            len(judged),
            sum(judged),
        )


def verdicts(data: RunData, policy: Policy | None = None) -> dict[str, Verdict]:
    """Each candidate (every variant after the first) against the control (the first)."""
    names = [v.name for v in data.experiment.variants]
    control = data.arm(names[0])
    exp = data.experiment
    return {
        name: decide(control, data.arm(name), exp.slo, exp.min_samples, policy, seed=data.seed)
        for name in names[1:]
    }


MetricsFetch = Callable[[], str]
OnSample = Callable[[RequestSample], None]


async def run_async(
    experiment: ExperimentSpec,
    *,
    url: str,
    load: Load,
    protocol: str = "grpc",
    dataset_root: Path | None = None,
    workload: Workload | None = None,
    weights: Mapping[str, float] | None = None,
    seed: int = 0,
    metrics: MetricsFetch | None = None,
    transports: Mapping[str, AsyncTransport] | None = None,
    on_sample: OnSample | None = None,
    warmup_requests: int = 4,
    headers: Mapping[str, str] | None = None,
) -> RunData:
    """Send the experiment's traffic and collect per-variant samples (no verdict).

    ``headers`` go with every call to the server (config reads, requests, shadow copies); they
    are kept out of ``RunData``, and their values are masked in every error text it holds."""
    secrets = list((headers or {}).values())
    router = AsyncRouter.from_experiment(
        experiment, url, protocol, fallback=False, seed=seed, transports=transports,
        headers=headers,
    )  # fmt: skip
    async with router:
        if weights is not None:
            router.set_weights(weights)
        try:
            work = workload or await _workload(router, experiment, dataset_root, seed)
            await _warm_up(router, work, warmup_requests)
        except ExperimentError as exc:
            raise ExperimentError(scrub(str(exc), secrets)) from exc
        # the warm-up's mirrored requests are not part of the measured run either
        await router.shadows.wait()
        unmeasured_shadows = len(router.shadow_comparisons)
        dropped_before = router.shadows_dropped
        before = parse_metrics(metrics()) if metrics else None
        started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        clock = time.perf_counter()

        async def send(index: int) -> SendOutcome:
            item = work.item(index)
            routed = await router.infer(item.inputs, key=item.key)
            ok = routed.status == "ok"
            correct = (
                is_correct(routed.outputs, item.label) if ok and item.label is not None else None
            )
            error = scrub(str(routed.error), secrets) if routed.error else ""
            return SendOutcome(ok, error, (routed.variant, correct))

        def record(sample: Sample) -> None:
            if on_sample is not None:
                on_sample(_request(sample))

        raw = await run_load(
            send,
            concurrency=load.concurrency,
            rate=load.rate,
            requests=load.requests,
            duration_s=load.duration_s,
            seed=seed,
            on_sample=record,
        )
        duration = time.perf_counter() - clock
        await router.shadows.wait()
        after = parse_metrics(metrics()) if metrics else None
        samples = [_request(s) for s in raw]
        unrouted = [s for s in samples if not s.variant]
        if unrouted and len(unrouted) == len(samples):
            raise ExperimentError(f"every request failed before routing: {unrouted[0].error}")
        return RunData(
            experiment,
            url,
            protocol,
            load,
            seed,
            work,
            started_at,
            duration,
            [s for s in samples if s.variant],
            router.weights,
            _shadow(router, skip=unmeasured_shadows, dropped_before=dropped_before),
            delta(before, after) if before is not None and after is not None else None,
        )


def _request(sample: Sample) -> RequestSample:
    payload: Any = sample.payload
    variant, correct = payload if isinstance(payload, tuple) else ("", None)
    return RequestSample(
        variant, sample.finished_s, sample.latency_s * 1000, sample.ok, correct, sample.error
    )


async def _workload(
    router: AsyncRouter, experiment: ExperimentSpec, root: Path | None, seed: int
) -> Workload:
    control = experiment.variants[0]
    version = str(control.version) if control.version else ""
    try:
        served = await router.model_config_async(control.model, version)
    except ClientError as exc:
        raise ExperimentError(
            f"cannot read the config of {control.model!r} from the server: {exc}"
        ) from exc
    dataset = None
    if experiment.dataset is not None:
        dataset = (root or Path.cwd()) / experiment.dataset
    return load_workload(
        dataset,
        config_from_served(served),
        labels=experiment.labels,
        sticky_key=experiment.sticky_key,
        seed=seed,
    )


async def _warm_up(router: AsyncRouter, work: Workload, count: int) -> None:
    """A few unmeasured requests: load lazy state on the server, and fail early on bad inputs."""
    for index in range(count):
        item = work.item(index)
        try:
            await router.infer(item.inputs, key=item.key)
        except ClientError as exc:  # InputError: the workload does not fit the model
            raise ExperimentError(f"the workload does not fit the served model: {exc}") from exc


def _shadow(router: AsyncRouter, skip: int = 0, dropped_before: int = 0) -> ShadowSummary | None:
    shadow = router.core.shadow
    if shadow is None:
        return None
    found = router.shadow_comparisons[skip:]
    agree = [c.argmax_equal if c.argmax_equal is not None else c.equal for c in found]
    judged = [a for a in agree if a is not None]
    return ShadowSummary(
        shadow.name,
        len(found),
        sum(1 for c in found if c.status != "ok"),
        sum(judged) / len(judged) if judged else None,
        [c.latency_ms for c in found if c.status == "ok"],
        router.shadows_dropped - dropped_before,
    )


def run(experiment: ExperimentSpec, **options: Any) -> RunData:
    """``run_async`` from synchronous code."""
    return asyncio.run(run_async(experiment, **options))
