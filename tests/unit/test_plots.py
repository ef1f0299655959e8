"""Report plots a person reads: plain-ms latency axes, no negative rates, round time bins sized
to the run, integer concurrency ticks, legends outside the data, and a note instead of an empty
panel. Checked on the Figure objects the reports save."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from tritonops import plots
from tritonops.abtest.report_files import latency_cdf_figure, markdown, over_time_figure
from tritonops.abtest.schema import ArmDoc, LoadDoc, Report, SampleDoc, WorkloadDoc
from tritonops.perf.result_files import figure as perf_figure
from tritonops.perf.results import Latency, LevelResult, PerfResult, ServerTimes

SERVER: dict[str, dict[str, float | None]] = {
    "digits_v1": {"requests": 1992.0, "failure": 0.0, "executions": 1531.0, "inferences": 1992.0,
                  "mean_request_ms": 1.006, "mean_queue_ms": 0.418, "mean_compute_ms": 0.585}
}  # fmt: skip


def _report(span_s: float, per_arm: dict[str, int], failed_every: int = 0,
            server: dict[str, dict[str, float | None]] | None = None) -> Report:  # fmt: skip
    rng = np.random.default_rng(0)
    samples = []
    for arm, count in per_arm.items():
        for i, t in enumerate(np.sort(rng.uniform(0, span_s, count))):
            ok = not (failed_every and i % failed_every == 0)
            samples.append(SampleDoc(variant=arm, t_s=float(t), ok=ok, correct=None,
                                     latency_ms=float(rng.lognormal(1.4, 0.3))))  # fmt: skip
    arms = [
        ArmDoc(name=arm, model=arm, version="1", weight=0.5, role=role, requests=count, errors=0,
               error_rate=0.0, accuracy=None, latency_ms=None, throughput_rps=count / span_s)
        for (arm, count), role in zip(per_arm.items(), ("control", "candidate"), strict=False)
    ]  # fmt: skip
    return Report(
        experiment="exp", url="127.0.0.1:1", protocol="grpc", seed=0, started_at="now",
        duration_s=span_s, decision="hold", exit_code=3, arms=arms, verdicts=[], shadow=None,
        load=LoadDoc(mode="closed", concurrency=4, rate=None, requests=None, duration_s=None),
        workload=WorkloadDoc(source="test", size=10, labelled=False), server=server,
        samples=samples, plots={},
    )  # fmt: skip


def _labels(figure: Figure, axes: Axes, which: str) -> list[str]:
    figure.canvas.draw()
    ticks = axes.get_xticklabels() if which == "x" else axes.get_yticklabels()
    return [t.get_text() for t in ticks if t.get_text()]


def _legend_clear_of_data(figure: Figure, axes: Axes) -> bool:
    figure.canvas.draw()
    legend = axes.get_legend()
    assert legend is not None
    box = legend.get_window_extent()
    return not box.overlaps(axes.get_window_extent())


def test_latency_cdf_labels_plain_ms_and_keeps_the_legend_off_the_curves() -> None:
    figure = latency_cdf_figure(_report(2.5, {"control": 2000, "candidate": 200}))
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"
    assert isinstance(axes.xaxis.get_major_formatter(), FuncFormatter)
    labels = _labels(figure, axes, "x")
    assert labels
    assert all(label.replace(".", "").isdigit() for label in labels), labels
    assert "2" in labels
    assert "5" in labels
    assert _legend_clear_of_data(figure, axes)


def test_no_errors_means_an_error_axis_from_zero_that_says_so() -> None:
    figure = over_time_figure(_report(2.5, {"control": 2000, "candidate": 200}))
    top, bottom = figure.axes[:2]
    assert bottom.get_ylim() == (0.0, 1.0)
    assert top.get_ylim()[0] == 0.0
    assert any("no errors in 2200 requests" in t.get_text() for t in bottom.texts)
    assert _legend_clear_of_data(figure, top)


def test_errors_are_drawn_on_a_non_negative_axis() -> None:
    figure = over_time_figure(_report(10, {"control": 500, "candidate": 500}, failed_every=10))
    bottom = figure.axes[1]
    low, high = bottom.get_ylim()
    assert low == 0.0
    assert high >= 10.0
    assert not bottom.texts


@pytest.mark.parametrize(
    ("span_s", "counts", "width"),
    [
        (0.5, [1800, 200], 0.1),  # 5 bins of ≥ 30 requests each, not twenty 25 ms bins
        (2.5, [2000, 200], 0.5),  # the thin arm gets ~30 requests per bin
        (60.0, [60000, 6000], 1.0),  # busy minute: ≤ 60 bins
        (600.0, [600000, 60000], 10.0),
        (3.0, [5, 3], 3.0),  # too few requests for any rate over time
    ],
)
def test_time_bins_are_round_and_sized_to_the_run(
    span_s: float, counts: list[int], width: float
) -> None:
    got = plots.bin_width(span_s, counts)
    assert got == width
    edges = plots.time_edges(span_s, got)
    assert edges[0] == 0.0
    assert edges[-1] == pytest.approx(span_s, abs=got / 2)
    assert len(edges) - 1 <= plots.MAX_BINS


def test_over_time_figure_uses_the_computed_bins() -> None:
    figure = over_time_figure(_report(0.5, {"control": 1800, "candidate": 200}))
    top = figure.axes[0]
    assert "(0.1 s bins)" in top.get_title()
    steps = top.patches  # one StepPatch per arm, each with its edges
    assert steps
    assert all(isinstance(p, StepPatch) and len(p.get_data()[1]) == 6 for p in steps)


def _level(load: int, p99_ms: float, server: bool) -> LevelResult:
    lat = Latency(p50_us=p99_ms * 400, p90_us=p99_ms * 700, p95_us=p99_ms * 800,
                  p99_us=p99_ms * 1000, avg_us=p99_ms * 450)  # fmt: skip
    times = ServerTimes(queue_us=200, compute_input_us=15, compute_infer_us=190,
                        compute_output_us=95)  # fmt: skip
    return LevelResult(load=load, throughput=1000 * load**0.5, latency=lat,
                       server=times if server else None)  # fmt: skip


def _perf(server: bool) -> PerfResult:
    return PerfResult(
        model="m", engine="builtin", url="u", protocol="grpc", load_kind="concurrency",
        levels=[_level(c, 1.0 + c / 2, server) for c in (1, 2, 4, 8)],
    )  # fmt: skip


def test_perf_plot_has_integer_concurrency_ticks_and_plain_ms() -> None:
    figure = perf_figure(_perf(server=True))
    curve, pct, server = figure.axes[:3]
    assert isinstance(pct.xaxis.get_major_locator(), MaxNLocator)
    assert all(float(x).is_integer() for x in pct.get_xticks())
    for axes, axis in ((curve, curve.xaxis), (pct, pct.yaxis), (server, server.yaxis)):
        assert isinstance(axis.get_major_formatter(), FuncFormatter)
        text = " ".join(_labels(figure, axes, "x" if axis is curve.xaxis else "y"))
        assert "×" not in text
        assert "10^" not in text
        assert "e-" not in text
    assert pct.get_ylim()[0] == 0.0
    assert server.get_ylim()[0] == 0.0
    assert [t.get_text() for t in server.get_xticklabels()] == ["1", "2", "4", "8"]
    assert _legend_clear_of_data(figure, pct)
    assert _legend_clear_of_data(figure, server)


def test_perf_plot_says_no_server_metrics_instead_of_an_empty_panel() -> None:
    figure = perf_figure(_perf(server=False))
    server = figure.axes[2]
    assert not server.patches  # no zero-height bars
    assert any("no server metrics" in t.get_text() for t in server.texts)


def test_report_md_carries_the_server_counters_of_report_json() -> None:
    text = markdown(_report(2.5, {"control": 200, "candidate": 20}, server=SERVER))
    assert "## Server side" in text
    assert "| digits_v1 | 1992 | 0 | 1531 | 1.30 | 1.006 | 0.418 | 0.585 |" in text
    assert "No server metrics" in markdown(_report(2.5, {"control": 200}))


def test_perf_plot_names_the_unstable_levels_it_leaves_out() -> None:
    result = _perf(server=True)
    result.engine = "perf_analyzer"
    result.levels[0] = LevelResult(load=1, throughput=900, latency=result.levels[0].latency,
                                   stable=False)  # fmt: skip
    figure = perf_figure(result)
    assert "unstable, not plotted: 1" in figure.get_suptitle()
    assert [t.get_text() for t in figure.axes[2].get_xticklabels()] == ["2", "4", "8"]
