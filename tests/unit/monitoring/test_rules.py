"""The rules built from SLOs: names, windows, thresholds, annotations, selectors (no promtool)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tritonops.errors import MonitoringError
from tritonops.monitoring import Scope, Timing, Watched, build_rules, scope_of
from tritonops.monitoring.selection import regex_escape
from tritonops.monitoring.timing import prometheus_duration
from tritonops.spec import ModelSlo, load_project

QUICKSTART = Path(__file__).parents[3] / "examples" / "quickstart" / "tritonops.yaml"


def _scope(**slo: float) -> Scope:
    return Scope("demo", (Watched("m", ModelSlo.model_validate(slo)), Watched("plain", None)))


def test_quickstart_variants_inherit_the_experiment_slo() -> None:
    rules = build_rules(scope_of(load_project(QUICKSTART)))
    watched = {(a.model, a.name) for a in rules.alerts}
    # the experiment's slo {p99_ms: 100, max_error_rate: 0.01} covers both pipelines
    assert watched == {
        (model, name)
        for model in ("pipeline_v1", "pipeline_v2")
        for name in (
            "TritonErrorBudgetFastBurn",
            "TritonErrorBudgetSlowBurn",
            "TritonLatencyP99High",
        )
    }
    for alert in rules.alerts:
        assert set(alert.rule["annotations"]) == {"summary", "description", "runbook_url"}
        assert alert.rule["labels"]["severity"] in ("critical", "warning")
    assert rules.summaries_needed


def test_burn_rate_pairs_are_the_workbooks() -> None:
    rules = build_rules(_scope(max_error_rate=0.001))
    fast, slow = (a.rule for a in rules.alerts)
    assert "ratio_rate1h{" in fast["expr"]
    assert "ratio_rate5m{" in fast["expr"]
    assert fast["expr"].count("> 0.0144") == 2
    assert "ratio_rate6h{" in slow["expr"]
    assert "ratio_rate30m{" in slow["expr"]
    assert slow["expr"].count("> 0.006") == 2
    assert "for" not in fast  # the short window is what makes the alert reset


def test_a_budget_too_large_for_a_burn_factor_is_noted_not_alerted() -> None:
    rules = build_rules(_scope(max_error_rate=0.1))  # 14.4 × 0.1 > 1, 6 × 0.1 < 1
    assert [a.name for a in rules.alerts] == ["TritonErrorBudgetSlowBurn"]
    assert "no fast-burn alert" in rules.notes[0]


def test_one_alert_per_latency_queue_and_throughput_limit() -> None:
    rules = build_rules(_scope(p50_ms=5, p95_ms=9, p99_ms=20, queue_p99_ms=3, min_throughput_rps=7))
    by_name = {a.name: a.rule for a in rules.alerts}
    assert set(by_name) == {
        "TritonLatencyP50High",
        "TritonLatencyP95High",
        "TritonLatencyP99High",
        "TritonQueueP99High",
        "TritonThroughputLow",
    }
    assert by_name["TritonLatencyP95High"]["expr"].endswith(
        ':p95{tritonops_project="demo", model="m"} > 9'
    )
    assert by_name["TritonLatencyP99High"]["for"] == "5m"
    assert by_name["TritonThroughputLow"]["for"] == "10m"
    assert by_name["TritonThroughputLow"]["expr"].endswith("< 7")
    records = {r["record"]: r["expr"] for r in rules.document["groups"][0]["rules"]}
    p95 = records["model_version:nv_inference_request_ms:p95"]
    assert 'quantile="0.95"' in p95
    assert p95.startswith("max by (model, version)")


def test_rules_read_only_the_projects_models_and_labels() -> None:
    scope = Scope("demo", (Watched("a.b+c", None), Watched("x", None)), labels={"job": "tri"})
    rules = build_rules(scope)
    expr = rules.document["groups"][0]["rules"][0]["expr"]
    assert 'job="tri", model=~"a\\\\.b\\\\+c|x"' in expr
    assert regex_escape("a.b+c") == "a\\.b\\+c"
    assert len(rules.document["groups"]) == 1  # no SLO: recording rules only


def test_scaled_timing_scales_every_window() -> None:
    rules = build_rules(_scope(max_error_rate=0.01, p99_ms=10), Timing(scale=1 / 60))
    fast = rules.alerts[0].rule["expr"]
    assert "ratio_rate1m{" in fast
    assert "ratio_rate5s{" in fast
    assert rules.alerts[-1].rule["for"] == "5s"
    assert prometheus_duration(1.5) == "1500ms"
    assert prometheus_duration(21600) == "6h"


@pytest.mark.parametrize("scale", [0, -1, 2])
def test_a_bad_scale_is_refused(scale: float) -> None:
    with pytest.raises(MonitoringError, match="time scale"):
        Timing(scale=scale)


def test_a_bad_label_name_is_refused() -> None:
    with pytest.raises(MonitoringError, match="not a Prometheus label name"):
        Scope("demo", (Watched("m", None),), labels={"9job": "x"})
