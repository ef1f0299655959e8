"""promtool unit tests for generated rules, derived from the same SLOs.

For every alert, synthetic Triton series run through the real rules in three scenarios:

- a breach just past the limit (an error ratio 1.25× the burn threshold, a quantile 1.25× its
  limit on one replica, traffic at 0.8× the floor): that alert must fire, with its exact labels
  and annotations;
- a near miss just inside it (0.8× the threshold or limit, 1.25× the floor): it must stay quiet —
  so a threshold off by more than those factors fails the tests;
- healthy data for every model (errors at half the budget, quantiles at half their limits,
  traffic at twice the floor), where no alert of the file may fire.

Series are written per replica (two ``instance`` values, failures split over two ``reason``
values) so the rules' sums over replicas and reasons and their worst-replica quantiles are
exercised. Times scale with the rules' ``Timing``, so scaled rules get scaled tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tritonops.monitoring import names
from tritonops.monitoring.rules import Alert, Rules
from tritonops.monitoring.selection import quote
from tritonops.monitoring.timing import BURN_WINDOWS, THROUGHPUT_FOR_S

_REPLICAS = ("replica-a:8002", "replica-b:8002")
_VERSION = "1"
_STEP_S = 60.0
# requests per replica per step; big enough that a fraction of a 0.1 % budget is many errors
_PER_STEP = 100_000.0
BREACH, NEAR_MISS, HEALTHY = 1.25, 0.8, 0.5


@dataclass(frozen=True)
class _Case:
    """How far one alert's watched value sits from its limit (None: every model healthy)."""

    alert: Alert | None
    factor: float


def build_rule_tests(rules: Rules, rules_file: str) -> dict[str, Any]:
    """A ``promtool test rules`` document for ``rules`` saved as ``rules_file`` (relative)."""
    timing = rules.timing
    # rate() extrapolates over the samples a window holds, so steady series need not fill a 6 h
    # window: past the longest short window and twice the longest `for` every rule has settled
    eval_s = max(w.short_s for w in BURN_WINDOWS) + 2 * THROUGHPUT_FOR_S
    steps = int(eval_s / _STEP_S) + 1
    at = timing.duration(eval_s)
    tests: list[dict[str, Any]] = []
    healthy = [
        s for w in rules.scope.with_slo for s in _series(rules, w.model, _Case(None, 1), steps)
    ]
    tests.append(
        {
            "interval": timing.duration(_STEP_S),
            "name": "healthy: no alert fires",
            "input_series": healthy,
            "alert_rule_test": [
                {"eval_time": at, "alertname": name, "exp_alerts": []}
                for name in sorted({a.name for a in rules.alerts})
            ],
        }
    )
    for alert in rules.alerts:
        for factor, verb in ((BREACH, "fires"), (NEAR_MISS, "stays quiet")):
            case = _Case(alert, factor)
            expected = [_expected(alert)] if factor == BREACH else []
            tests.append(
                {
                    "interval": timing.duration(_STEP_S),
                    "name": f"{alert.name} {verb} for {alert.model} at {factor:g}x its limit",
                    "input_series": _series(rules, alert.model, case, steps),
                    "alert_rule_test": [
                        {"eval_time": at, "alertname": alert.name, "exp_alerts": expected}
                    ],
                }
            )
    return {
        "rule_files": [rules_file],
        "evaluation_interval": timing.duration(_STEP_S),
        "tests": tests,
    }


def _expected(alert: Alert) -> dict[str, Any]:
    labels = dict(alert.rule["labels"])
    if alert.kind != "throughput":  # that one sums over versions
        labels["version"] = _VERSION
    annotations = {
        k: v.replace("{{ $labels.version }}", _VERSION)
        for k, v in alert.rule["annotations"].items()
    }
    return {"exp_labels": labels, "exp_annotations": annotations}


def _labels(rules: Rules, model: str, replica: str, **extra: str) -> str:
    labels = {**rules.scope.labels, "instance": replica, "model": model, "version": _VERSION}
    labels.update(extra)
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in labels.items()) + "}"


def _counter(per_step: float, steps: int) -> str:
    return f"0+{per_step:g}x{steps}"


def _series(rules: Rules, model: str, case: _Case, steps: int) -> list[dict[str, str]]:
    """One model's series on every replica: healthy, except for ``case``'s alert."""
    watched = next(w for w in rules.scope.models if w.model == model)
    slo = watched.slo
    assert slo is not None
    step_s = rules.timing.seconds(_STEP_S)  # a step's real length: counters grow per second
    alert = case.alert
    ratio = (slo.max_error_rate or 0.0) * HEALTHY
    if alert is not None and alert.kind == "burn" and alert.burn is not None:
        threshold = alert.burn.factor * alert.limit
        if threshold == 0:  # a zero budget: any failure breaks it, none is the near miss
            ratio = 0.01 if case.factor > 1 else 0.0
        else:
            ratio = min(1.0, threshold * case.factor)
    ok, failed = _PER_STEP * (1 - ratio), _PER_STEP * ratio
    if slo.min_throughput_rps is not None:
        # both replicas together serve the floor / HEALTHY: twice it
        ok = max(ok, slo.min_throughput_rps / HEALTHY * step_s / len(_REPLICAS))
    if alert is not None and alert.kind == "throughput":
        # the breach is under the floor, the near miss over it: invert the factor
        ok, failed = alert.limit / case.factor * step_s / len(_REPLICAS), 0.0
    out: list[dict[str, str]] = []
    for replica in _REPLICAS:
        series = names.SUCCESS + _labels(rules, model, replica)
        out.append({"series": series, "values": _counter(ok, steps)})
        # failures split over two reasons: the rules must sum reasons
        for reason in ("BACKEND", "OTHER"):
            series = names.FAILURE + _labels(rules, model, replica, reason=reason)
            out.append({"series": series, "values": _counter(failed / 2, steps)})
        for summary, quantile, limit in _quantiles(slo):
            factor = HEALTHY
            # only one replica is near the limit: the rules must take the worst replica
            watched_here = (
                alert is not None
                and alert.kind in ("latency", "queue")
                and alert.quantile == quantile
                and summary
                == (names.REQUEST_SUMMARY if alert.kind == "latency" else names.QUEUE_SUMMARY)
            )
            if watched_here and replica == _REPLICAS[0]:
                factor = case.factor
            label = names.quantile_label(quantile)
            series = summary + _labels(rules, model, replica, quantile=label)
            out.append({"series": series, "values": f"{limit * factor * 1000:g}x{steps}"})
    return out


def _quantiles(slo: Any) -> list[tuple[str, float, float]]:
    """Every summary quantile an SLO limits: (summary, quantile, limit in ms)."""
    found = [(names.REQUEST_SUMMARY, q, limit) for q, limit in slo.latency_limits]
    if slo.queue_p99_ms is not None:
        found.append((names.QUEUE_SUMMARY, 0.99, slo.queue_p99_ms))
    return found
