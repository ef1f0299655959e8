"""The experiment's report: a JSON document (schema in ``tritonops.abtest.schema`` and
docs/abtest-report.md), a Markdown summary, and PNG plots (latency CDF per variant; throughput and
error rate over time), drawn by the rules of ``tritonops.plots`` on figures that never need a
display.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tritonops import plots
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
    lines += _server_lines(report.server)
    lines += ["", *(f"![{name}]({file})" for name, file in report.plots.items()), ""]
    return "\n".join(lines)


def _cell(value: float | None, digits: str) -> str:
    return "-" if value is None else format(value, digits)


def _server_lines(server: Mapping[str, Mapping[str, float | None]] | None) -> list[str]:
    """Triton's own counters for the run (the metrics port's deltas), one row per model."""
    if not server:
        return ["", "No server metrics (pass --metrics-url to add Triton's own counters)."]
    lines = [
        "",
        "## Server side (Triton's metrics over the run)",
        "",
        "| model | requests | failures | executions | inferences/execution "
        "| mean request ms | mean queue ms | mean compute ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for model, c in server.items():
        executions, inferences = c.get("executions"), c.get("inferences")
        per_execution = inferences / executions if executions and inferences is not None else None
        lines.append(
            f"| {model} | {_cell(c.get('requests'), '.0f')} | {_cell(c.get('failure'), '.0f')} "
            f"| {_cell(executions, '.0f')} | {_cell(per_execution, '.2f')} "
            f"| {_cell(c.get('mean_request_ms'), '.3f')} | {_cell(c.get('mean_queue_ms'), '.3f')} "
            f"| {_cell(c.get('mean_compute_ms'), '.3f')} |"
        )
    return lines


def latency_cdf_figure(report: Report) -> Figure:
    """Latency CDF per variant on a log axis labelled in plain ms."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.add_subplot()
    drawn = False
    for arm in report.arms:
        values = np.sort([s.latency_ms for s in report.samples if s.variant == arm.name and s.ok])
        if values.size:
            axes.plot(values, np.arange(1, values.size + 1) / values.size, label=arm.name)
            drawn = True
    axes.set_title(f"{report.experiment}: latency CDF per variant")
    if not drawn:
        plots.say_empty(axes, "no successful request")
        return figure
    axes.set_xscale("log")
    plots.plain_ms_axis(axes.xaxis, log=True)
    axes.set_xlabel("latency (ms, log scale)")
    axes.set_ylabel("fraction of requests ≤ latency")
    axes.set_ylim(0, 1.02)
    axes.grid(True, which="both", alpha=0.3)
    plots.legend_outside(axes)
    figure.tight_layout()
    return figure


def over_time_figure(report: Report) -> Figure:
    """Throughput and error rate per variant in round time bins sized to the run."""
    span = max((s.t_s for s in report.samples), default=0.0)
    counts = [sum(1 for s in report.samples if s.variant == arm.name) for arm in report.arms]
    width = plots.bin_width(span, counts)
    edges = plots.time_edges(span, width)
    seconds = np.diff(edges)
    figure = Figure(figsize=(8, 6))
    top, bottom = figure.subplots(2, 1, sharex=True)
    failures = 0
    for arm in report.arms:
        mine = [s for s in report.samples if s.variant == arm.name]
        done, _ = np.histogram([s.t_s for s in mine], edges)
        failed, _ = np.histogram([s.t_s for s in mine if not s.ok], edges)
        failures += int(failed.sum())
        rate = np.divide(failed, done, out=np.zeros(len(done)), where=done > 0)
        top.stairs(done / seconds, edges, label=arm.name, linewidth=1.5, baseline=None)
        bottom.stairs(rate * 100, edges, label=arm.name, linewidth=1.5, baseline=None)
    top.set_ylabel("throughput (req/s)")
    top.set_title(
        f"{report.experiment}: throughput and errors over time ({plots.plain_number(width)} s bins)"
    )
    plots.non_negative(top)
    bottom.set_ylabel("error rate (%)")
    bottom.set_xlabel("time since start (s)")
    if failures == 0:
        plots.non_negative(bottom, top=1.0)
        bottom.text(0.5, 0.5, f"no errors in {len(report.samples)} requests", ha="center",
                    va="center", transform=bottom.transAxes, color="0.35")  # fmt: skip
    else:
        plots.non_negative(bottom)
    for axes in (top, bottom):
        axes.grid(True, alpha=0.3)
        plots.legend_outside(axes)
    figure.tight_layout()
    return figure


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
    for name, draw in (("latency_cdf", latency_cdf_figure), ("over_time", over_time_figure)):
        draw(report).savefig(paths[name], format="png", dpi=100, bbox_inches="tight")
    return paths
