"""Run an experiment once (``run_experiment``) or as a canary ramp (``run_ramp``) and decide.

Both resolve the experiment from the project file, size the load, run the traffic through the
Router (``runner``), and turn the samples into verdicts; ``run_ramp`` repeats that per step and
hands the windows to ``ramp``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tritonops.abtest.llm import has_llm_slo
from tritonops.abtest.ramp import DEFAULT_STEPS, RampState, StepOutcome, ramp, state_path
from tritonops.abtest.report_files import build_report, write_report
from tritonops.abtest.runner import Load, OnSample, RunData, run_async, verdicts
from tritonops.abtest.schema import Report
from tritonops.abtest.server_guard import Snapshot, scraper
from tritonops.abtest.verdict import EXIT_CODES, Decision, Policy, Verdict, worst
from tritonops.abtest.workload import Workload
from tritonops.client.transport import AsyncTransport
from tritonops.errors import ExperimentError, MonitoringError
from tritonops.monitoring.fleet import fleet_counters
from tritonops.monitoring.query import PrometheusApi
from tritonops.spec import ExperimentSpec, Project, load_project


@dataclass(frozen=True)
class ExperimentResult:
    """One experiment's outcome: the overall decision, a verdict per candidate, the report."""

    experiment: str
    decision: Decision
    verdicts: dict[str, Verdict]
    report: Report
    data: RunData = field(repr=False)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]


def _resolve(
    experiment: ExperimentSpec | str, project: Project | Path | str | None
) -> tuple[ExperimentSpec, Path]:
    if isinstance(experiment, ExperimentSpec):
        root = project.root if isinstance(project, Project) else Path(project or ".").parent
        return experiment, root if project is not None else Path.cwd()
    loaded = (
        project if isinstance(project, Project) else load_project(Path(project or "tritonops.yaml"))
    )
    for spec in loaded.experiments:
        if spec.name == experiment:
            return spec, loaded.root
    names = ", ".join(e.name for e in loaded.experiments) or "none"
    raise ExperimentError(
        f"{loaded.path} has no experiment {experiment!r} (has: {names}) — check the name"
    )


def default_requests(experiment: ExperimentSpec, weights: Mapping[str, float] | None = None) -> int:
    """Enough requests that the smallest arm expects ``min_samples`` (plus 10 %)."""
    shares = dict(weights) if weights else {v.name: v.weight for v in experiment.variants}
    total = sum(shares.values())
    smallest = min((w for w in shares.values() if w > 0), default=total)
    return math.ceil(experiment.min_samples * total / smallest * 1.1) if total else 0


def _load(
    experiment: ExperimentSpec,
    requests: int | None,
    duration_s: float | None,
    concurrency: int | None,
    rate: float | None,
    weights: Mapping[str, float] | None = None,
) -> Load:
    if concurrency is None and rate is None:
        concurrency = 4
    if requests is None and duration_s is None:
        requests = default_requests(experiment, weights)
    return Load(concurrency, rate, requests, duration_s)


def run_experiment(
    experiment: ExperimentSpec | str,
    *,
    url: str,
    project: Project | Path | str | None = None,
    protocol: str = "grpc",
    requests: int | None = None,
    duration_s: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    seed: int = 0,
    report_dir: Path | None = None,
    metrics_url: str | None = None,
    workload: Workload | None = None,
    policy: Policy | None = None,
    transports: Mapping[str, AsyncTransport] | None = None,
    on_sample: OnSample | None = None,
    headers: Mapping[str, str] | None = None,
) -> ExperimentResult:
    """Run the experiment once and decide; write the report into ``report_dir`` when given.

    Defaults: closed loop at concurrency 4; enough requests for ``min_samples`` in the smallest
    arm. ``metrics_url`` (Triton's metrics port) adds server-side counters to the report.
    ``headers`` go with every call to Triton and never into the report.
    """
    spec, root = _resolve(experiment, project)
    if has_llm_slo(spec):
        raise ExperimentError(
            f"experiment {spec.name!r} sets TTFT/ITL/tokens SLOs, which streaming LLM variants "
            "have — run it with tritonops.abtest.llm.run_llm_experiment (`tritonops ab-test` "
            "picks that for LLM variants)"
        )
    load = _load(spec, requests, duration_s, concurrency, rate)
    data = asyncio.run(
        run_async(
            spec,
            url=url,
            load=load,
            protocol=protocol,
            dataset_root=root,
            workload=workload,
            seed=seed,
            metrics=scraper(metrics_url) if metrics_url else None,
            transports=transports,
            on_sample=on_sample,
            headers=headers,
        )
    )
    found = verdicts(data, policy)
    report = build_report(data, found)
    files = write_report(report, report_dir) if report_dir is not None else {}
    decision = worst([v.decision for v in found.values()])
    return ExperimentResult(spec.name, decision, found, report, data, files)


def _fleet(url: str, models: list[str], start: float, end: float) -> Snapshot:
    try:
        return fleet_counters(PrometheusApi(url), models, start, end)
    except MonitoringError as exc:
        raise ExperimentError(str(exc)) from exc


def run_ramp(
    experiment: ExperimentSpec | str,
    *,
    url: str,
    project: Project | Path | str | None = None,
    protocol: str = "grpc",
    steps: Sequence[float] = DEFAULT_STEPS,
    resume: bool = False,
    rollback: bool = False,
    requests: int | None = None,
    duration_s: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    seed: int = 0,
    metrics_url: str | None = None,
    prometheus_url: str | None = None,
    step_min_samples: int = 20,
    transports: Mapping[str, AsyncTransport] | None = None,
    on_step: Callable[[RampState], None] | None = None,
    headers: Mapping[str, str] | None = None,
) -> RampState:
    """The canary ramp (see ``tritonops.abtest.ramp``); each step's window is one run.

    Without ``requests``/``duration_s`` a window sends ``20 · step_min_samples`` requests.
    State goes to ``<project>/.tritonops/ramps/<experiment>.json``. Triton's counters come from
    one server's page (``metrics_url``) or, summed over every replica, from Prometheus
    (``prometheus_url``, see ``tritonops.monitoring.fleet``).
    """
    if metrics_url and prometheus_url:
        raise ExperimentError(
            "give --metrics-url (one Triton) or --prometheus-url (every replica), not both"
        )
    spec, root = _resolve(experiment, project)
    load = _load(spec, requests or (None if duration_s else 20 * step_min_samples),
                 duration_s, concurrency, rate)  # fmt: skip
    fetch = scraper(metrics_url) if metrics_url else None

    def window(weights: Mapping[str, float]) -> StepOutcome:
        started = time.time()
        data = asyncio.run(
            run_async(spec, url=url, load=load, protocol=protocol, dataset_root=root,
                      weights=weights, seed=seed, metrics=fetch, transports=transports,
                      headers=headers)
        )  # fmt: skip
        control, candidate = (v.name for v in spec.variants)
        detail: dict[str, Any] = {"duration_s": round(data.duration_s, 3)}
        server = data.server
        if prometheus_url is not None:
            server = _fleet(prometheus_url, [v.model for v in spec.variants], started, time.time())
            detail["server_source"] = "prometheus"
        return StepOutcome(data.arm(control), data.arm(candidate), server, detail)

    return ramp(
        spec,
        window,
        state_path(root, spec.name),
        steps=steps,
        resume=resume,
        rollback=rollback,
        step_min_samples=step_min_samples,
        seed=seed,
        on_step=on_step,
    )
