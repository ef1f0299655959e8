"""fleet_counters' queries and waiting against a fake Prometheus API, and how the ramp takes
--prometheus-url (unit tier: no server)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.abtest import run_ramp
from tritonops.cli.main import cli
from tritonops.errors import ExperimentError, MonitoringError
from tritonops.monitoring.fleet import fleet_counters, wait_for_scrape
from tritonops.monitoring.query import PrometheusApi, Sample
from tritonops.spec import ExperimentSpec, VariantSpec


class FakePrometheus(PrometheusApi):
    """Answers queries from a table; records what was asked."""

    def __init__(self, newest: float) -> None:
        super().__init__("fake:9090")
        self.newest = newest
        self.asked: list[str] = []

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        self.asked.append(expr)
        if expr.startswith("min(timestamp("):
            # the latest scrape at or before `at`: every 10 s up to `newest`
            latest = min(self.newest, (at or self.newest) // 10 * 10)
            return [Sample({}, latest)]
        if expr.startswith("min(count_over_time("):
            return [Sample({}, 3.0)]
        if "nv_inference_request_success{" in expr:
            return [Sample({"model": "a"}, 90.0), Sample({"model": "b"}, math.nan)]
        if "nv_inference_request_failure{" in expr:
            return [Sample({"model": "a"}, 10.0)]
        return []


def test_counters_are_summed_over_replicas_by_model() -> None:
    api = FakePrometheus(newest=2000.0)
    found = fleet_counters(
        api, ["a", "b.c"], 995.0, 1990.0, labels={"job": "triton"}, clock=lambda: 2000.0
    )
    assert found["a"].failure_rate == pytest.approx(0.1)
    assert "b" not in found  # NaN (no samples) is not a measurement
    increase = next(
        q
        for q in api.asked
        if q.startswith("sum by (model) (increase(nv_inference_request_failure")
    )
    assert 'job="triton", model=~"a|b\\\\.c"' in increase
    # from the last scrape before the window (990) to the query time (2000), plus 1 ms
    assert "[1010001ms]" in increase


def test_a_window_prometheus_has_not_scraped_yet_times_out_cleanly() -> None:
    api = FakePrometheus(newest=1000.0)  # last scrape before the window's end
    clock = iter(float(t) for t in range(2000, 3000, 10))
    with pytest.raises(MonitoringError, match="has not scraped a since the window ended"):
        wait_for_scrape(
            api,
            ["a"],
            1500.0,
            1999.0,
            timeout_s=30,
            clock=lambda: next(clock),
            sleep=lambda _: None,
        )


def test_an_unreachable_prometheus_names_the_flag() -> None:
    with pytest.raises(MonitoringError, match="--prometheus-url"):
        PrometheusApi("127.0.0.1:9", timeout_s=2).query("up")


def test_prometheus_url_without_a_ramp_is_a_usage_error(tmp_path: Path) -> None:
    args = ["ab-test", "x", "-f", str(tmp_path / "tritonops.yaml"), "--prometheus-url", "p:9090"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "--prometheus-url guards a ramp" in result.output


def test_one_server_page_and_prometheus_exclude_each_other(tmp_path: Path) -> None:
    experiment = ExperimentSpec(
        name="e", variants=[VariantSpec(name="a", model="m"), VariantSpec(name="b", model="m")]
    )
    with pytest.raises(ExperimentError, match="not both"):
        run_ramp(
            experiment, url="127.0.0.1:1", project=tmp_path / "tritonops.yaml",
            metrics_url="127.0.0.1:2", prometheus_url="127.0.0.1:3",
        )  # fmt: skip
