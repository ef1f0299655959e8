"""Reports of a ``PerfResult``: JSON (what ``perf compare`` reads), Markdown, and a PNG with the
throughput/latency curve, latency percentiles per level, and the server-side time breakdown."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from tritonops import plots
from tritonops.perf.results import LevelResult, PerfResult


def markdown(result: PerfResult) -> str:
    unit = "concurrency" if result.load_kind == "concurrency" else "req/s"
    lines = [
        f"# {result.model} — {result.engine} over {result.protocol} ({result.url})",
        "",
        *(f"> {note}" for note in result.notes),
        "",
        f"| {unit} | infer/s | p50 ms | p90 ms | p95 ms | p99 ms | avg ms | queue µs "
        "| input µs | infer µs | output µs | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in result.levels:
        if not lv.stable and result.engine == "perf_analyzer":
            lines.append(_unstable_row(lv))
            continue
        la, sv = lv.latency, lv.server
        server = (
            f"{sv.queue_us:.0f} | {sv.compute_input_us:.0f} | {sv.compute_infer_us:.0f} | "
            f"{sv.compute_output_us:.0f}"
            if sv
            else "– | – | – | –"
        )
        lines.append(
            f"| {lv.load:g} | {lv.throughput:.1f} | {la.p50_us / 1000:.2f} "
            f"| {la.p90_us / 1000:.2f} "
            f"| {la.p95_us / 1000:.2f} | {la.p99_us / 1000:.2f} | {la.avg_us / 1000:.2f} "
            f"| {server} | {lv.errors} |" + ("" if lv.stable else " unstable")
        )
    return "\n".join(lines) + "\n"


def _unstable_row(lv: LevelResult) -> str:
    """perf_analyzer gave up on this level: what each of its windows saw."""
    kind = lv.windows[0].latency_kind if lv.windows else "avg"
    seen = ", ".join(f"{w.throughput:.0f} infer/s {w.latency_us / 1000:.2f} ms" for w in lv.windows)
    return (
        f"| {lv.load:g} | unstable: {len(lv.windows)} window(s), {kind} latency per window: "
        f"{seen or 'none printed'} | | | | | | | | | | |"
    )


def figure(result: PerfResult) -> Figure:
    """Throughput vs p99, latency percentiles per level, and the server-side time per stage."""
    levels = [lv for lv in result.levels if lv.stable or result.engine == "builtin"]
    loads = [lv.load for lv in levels]
    fig = Figure(figsize=(16, 4.8))
    curve, pct, server = fig.subplots(1, 3)
    dropped = [f"{lv.load:g}" for lv in result.levels if lv not in levels]
    unstable = f" — unstable, not plotted: {', '.join(dropped)} (see report.md)" if dropped else ""
    fig.suptitle(f"{result.model} ({result.engine}){unstable}")
    if not levels:
        for axes in (curve, pct, server):
            plots.say_empty(axes, "no stable level measured")
        return fig
    curve.plot([lv.latency.p99_us / 1000 for lv in levels], [lv.throughput for lv in levels], "o-")
    for lv in levels:
        point = (lv.latency.p99_us / 1000, lv.throughput)
        curve.annotate(f"{lv.load:g}", point, textcoords="offset points", xytext=(4, 4), fontsize=8)
    load_label = "concurrency" if result.load_kind == "concurrency" else "request rate (req/s)"
    title = f"throughput vs p99 (points: {load_label})"
    curve.set(xlabel="p99 latency (ms)", ylabel="throughput (infer/s)", title=title)
    curve.margins(x=0.12, y=0.08)  # room for the point labels at the ends
    plots.plain_ms_axis(curve.xaxis, log=False)
    plots.non_negative(curve)
    for name in ("p50_us", "p90_us", "p95_us", "p99_us"):
        pct.plot(loads, [getattr(lv.latency, name) / 1000 for lv in levels], "o-", label=name[:3])
    pct.set(xlabel=load_label, ylabel="latency (ms)", title="latency percentiles")
    plots.plain_ms_axis(pct.yaxis, log=False)
    plots.non_negative(pct)
    if result.load_kind == "concurrency":
        plots.integer_axis(pct.xaxis)
    plots.legend_outside(pct)
    server.set_title("server-side time")
    if not any(lv.server for lv in levels):
        plots.say_empty(server, "no server metrics\n(pass --metrics-url, or let perf start Triton)")
    else:
        stages = ("queue_us", "compute_input_us", "compute_infer_us", "compute_output_us")
        names = [f"{x:g}" for x in loads]
        bottom = [0.0] * len(levels)
        for stage in stages:
            values = [getattr(lv.server, stage) / 1000 if lv.server else 0.0 for lv in levels]
            server.bar(names, values, bottom=bottom, label=stage[:-3])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        server.set(xlabel=load_label, ylabel="ms per request")
        plots.plain_ms_axis(server.yaxis, log=False)
        plots.non_negative(server)
        plots.legend_outside(server)
    fig.tight_layout()
    return fig


def plot(result: PerfResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure(result).savefig(path, dpi=90, bbox_inches="tight")
    return path


def write_report(result: PerfResult, directory: Path) -> dict[str, Path]:
    """result.json, report.md and report.png under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    md = directory / "report.md"
    md.write_text(markdown(result))
    return {
        "json": result.save(directory / "result.json"),
        "markdown": md,
        "png": plot(result, directory / "report.png"),
    }
