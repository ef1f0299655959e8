"""The experiment's report: a JSON document (schema in ``tritonops.abtest.schema`` and
docs/abtest-report.md), a Markdown summary, and PNG plots (latency CDF per variant; throughput and
error rate over time). Plots use matplotlib's Agg backend: no display is ever needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless in CI and on servers
import matplotlib.pyplot as plt
import numpy as np

from tritonops.abtest.runner import RunData
from tritonops.abtest.schema import (
    ArmDoc,
    ComparisonDoc,
    LatencySummary,
    LoadDoc,
    Report,
    SampleDoc,
    SamplesDoc,
    ShadowDoc,
    ShiftDoc,
    VerdictDoc,
    WorkloadDoc,
)
from tritonops.abtest.verdict import EXIT_CODES, Verdict, worst
from tritonops.redact import redact_url

PLOTS = {"latency_cdf": "latency_cdf.png", "over_time": "over_time.png"}


def _latency(values: Sequence[float]) -> LatencySummary | None:
    if not values:
        return None
    p50, p95, p99 = np.percentile(np.asarray(values, dtype=np.float64), [50, 95, 99])
    return LatencySummary(p50=p50, p95=p95, p99=p99, mean=float(np.mean(values)))


def _verdict_doc(v: Verdict) -> VerdictDoc:
    shift = v.latency_shift
    return VerdictDoc(
        control=v.control,
        candidate=v.candidate,
        decision=v.decision,
        reasons=list(v.reasons),
        breaches=list(v.breaches),
        samples=SamplesDoc(counts=dict(v.samples.counts), required=v.samples.required),
        comparisons=[
            ComparisonDoc(
                metric=c.metric,
                control=c.control,
                candidate=c.candidate,
                difference=c.difference.estimate,
                ci_low=c.difference.low,
                ci_high=c.difference.high,
                confidence=c.difference.confidence,
                tolerance=c.tolerance,
                p_value=c.p_value,
                outcome=c.outcome,
            )
            for c in v.comparisons
        ],
        latency_shift=None
        if shift is None
        else ShiftDoc(
            u=shift.u, p_value=shift.p_value, prob_candidate_slower=shift.prob_candidate_slower
        ),
    )


def build_report(data: RunData, verdicts: Mapping[str, Verdict]) -> Report:
    """The JSON document of one run and its verdicts."""
    exp = data.experiment
    decision = worst([v.decision for v in verdicts.values()])
    arms = []
    for index, spec in enumerate(exp.variants):
        arm = data.arm(spec.name)
        arms.append(
            ArmDoc(
                name=spec.name,
                model=spec.model,
                version=str(spec.version or ""),
                weight=data.weights.get(spec.name, spec.weight),
                role="control" if index == 0 else "candidate",
                requests=arm.requests,
                errors=arm.errors,
                error_rate=arm.error_rate,
                accuracy=arm.accuracy,
                latency_ms=_latency(arm.latencies_ms.tolist()),
                throughput_rps=arm.requests / data.duration_s if data.duration_s > 0 else 0.0,
            )
        )
    shadow = data.shadow
    return Report(
        experiment=exp.name,
        url=redact_url(data.url),  # reports are shared: never the credentials
        protocol=data.protocol,
        seed=data.seed,
        started_at=data.started_at,
        duration_s=data.duration_s,
        load=LoadDoc(
            mode="closed" if data.load.concurrency is not None else "open",
            concurrency=data.load.concurrency,
            rate=data.load.rate,
            requests=data.load.requests,
            duration_s=data.load.duration_s,
        ),
        workload=WorkloadDoc(
            source=data.workload.source, size=len(data.workload), labelled=data.workload.labelled
        ),
        decision=decision,
        exit_code=EXIT_CODES[decision],
        arms=arms,
        verdicts=[_verdict_doc(v) for v in verdicts.values()],
        shadow=None
        if shadow is None
        else ShadowDoc(
            target=shadow.target,
            count=shadow.count,
            errors=shadow.errors,
            agreement=shadow.agreement,
            latency_ms=_latency(shadow.latencies_ms),
            dropped=shadow.dropped,
        ),
        server=None
        if data.server is None
        else {model: counters.to_json() for model, counters in sorted(data.server.items())},
        samples=[
            SampleDoc(
                variant=s.variant, t_s=s.t_s, latency_ms=s.latency_ms, ok=s.ok, correct=s.correct
            )
            for s in data.samples
        ],
        plots=dict(PLOTS),
    )


def markdown(report: Report) -> str:
    """A human summary: decision, reasons, one row per arm, the comparisons."""
    lines = [
        f"# A/B test `{report.experiment}`: **{report.decision}** (exit {report.exit_code})",
        "",
        f"{report.load.mode} loop, {report.duration_s:.1f} s, workload {report.workload.source}"
        f" ({report.workload.size} requests{', labelled' if report.workload.labelled else ''}),"
        f" {report.url} over {report.protocol}, seed {report.seed}, started {report.started_at}.",
        "",
        "| arm | role | model | requests | errors | accuracy | p50 ms | p95 ms | p99 ms | req/s |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for arm in report.arms:
        lat = arm.latency_ms
        cells = [f"{x:.2f}" for x in (lat.p50, lat.p95, lat.p99)] if lat else ["-"] * 3
        accuracy = f"{arm.accuracy:.2%}" if arm.accuracy is not None else "-"
        lines.append(
            f"| {arm.name} | {arm.role} | {arm.model} | {arm.requests} | {arm.errors} "
            f"| {accuracy} | {' | '.join(cells)} | {arm.throughput_rps:.1f} |"
        )
    for v in report.verdicts:
        lines += ["", f"## {v.candidate} vs {v.control}: **{v.decision}**", ""]
        lines += [f"- {reason}" for reason in v.reasons]
        if v.comparisons:
            lines += [
                "",
                "| metric | control | candidate | difference | CI | outcome |",
                "|---|---:|---:|---:|---|---|",
            ]
            for c in v.comparisons:
                lines.append(
                    f"| {c.metric} | {c.control:.4g} | {c.candidate:.4g} | {c.difference:+.4g} "
                    f"| {c.confidence:.1%}: {c.ci_low:+.4g}..{c.ci_high:+.4g} | {c.outcome} |"
                )
    if report.shadow is not None:
        s = report.shadow
        agreement = f"{s.agreement:.2%}" if s.agreement is not None else "n/a"
        dropped = f" ({s.dropped} more dropped: the shadow could not keep up)" if s.dropped else ""
        lines += ["", f"Shadow `{s.target}`: {s.count} mirrored{dropped}, {s.errors} errors, "
                  f"agreement with the primary {agreement}."]  # fmt: skip
    lines += ["", *(f"![{name}]({file})" for name, file in report.plots.items()), ""]
    return "\n".join(lines)


def _plot_cdf(report: Report, path: Path) -> None:
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for arm in report.arms:
        values = np.sort([s.latency_ms for s in report.samples if s.variant == arm.name and s.ok])
        if values.size:
            axes.plot(values, np.arange(1, values.size + 1) / values.size, label=arm.name)
    axes.set_xscale("log")
    axes.set_xlabel("latency (ms, log scale)")
    axes.set_ylabel("fraction of requests ≤ latency")
    axes.set_title(f"{report.experiment}: latency CDF per variant")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)


def _plot_over_time(report: Report, path: Path) -> None:
    end = max((s.t_s for s in report.samples), default=1.0)
    bins = np.linspace(0.0, max(end, 1e-3), 21)  # 20 windows, whatever the run's length
    width = bins[1] - bins[0]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for arm in report.arms:
        mine = [s for s in report.samples if s.variant == arm.name]
        done, _ = np.histogram([s.t_s for s in mine], bins)
        failed, _ = np.histogram([s.t_s for s in mine if not s.ok], bins)
        rate = np.divide(failed, done, out=np.zeros(len(done)), where=done > 0)
        top.plot(bins[:-1], done / width, label=arm.name)
        bottom.plot(bins[:-1], rate * 100, label=arm.name)
    top.set_ylabel("throughput (req/s)")
    top.set_title(f"{report.experiment}: throughput and errors over time")
    bottom.set_ylabel("error rate (%)")
    bottom.set_xlabel("time since start (s)")
    for axes in (top, bottom):
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)


def write_report(report: Report, directory: Path) -> dict[str, Path]:
    """Write report.json, report.md and the PNGs into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": directory / "report.json",
        "markdown": directory / "report.md",
        **{name: directory / file for name, file in PLOTS.items()},
    }
    paths["json"].write_text(json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(report), encoding="utf-8")
    _plot_cdf(report, paths["latency_cdf"])
    _plot_over_time(report, paths["over_time"])
    return paths
