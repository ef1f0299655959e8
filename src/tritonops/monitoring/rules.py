"""Recording and alert rules from the project's SLOs, as a Prometheus rules file (a dict).

::

    rules = build_rules(scope_of(project))          # Rules: .document is the rules file
    yaml.safe_dump(rules.document)                   # what `promtool check rules` reads

Recording rules (group ``tritonops:<project>:recording``) sum every replica's counters by model
and version, then derive rates, the error ratio, mean request/queue/compute times, batch size and
busy compute seconds over each window, and the worst replica's summary quantiles (a summary's
quantiles cannot be averaged across replicas, so ``max`` is the honest fleet view).

Alert rules (group ``tritonops:<project>:alerts``), one per model and SLO limit:

- ``TritonErrorBudgetFastBurn`` / ``TritonErrorBudgetSlowBurn``: the workbook's multiwindow,
  multi-burn-rate pair (see ``timing``); a pair whose threshold ``factor × budget`` reaches 1 can
  never fire and is left out, with a note saying so.
- ``TritonLatencyP50High`` / ``…P95High`` / ``…P99High``: the summary's quantile above the limit
  for 5 minutes.
- ``TritonQueueP99High``: the queue summary's p99 above ``queue_p99_ms`` for 5 minutes.
- ``TritonThroughputLow``: successful requests per second under ``min_throughput_rps`` for 10
  minutes.

Each alert carries ``severity``, ``slo`` and the project label, and ``summary``, ``description``
and ``runbook_url`` annotations (runbooks: docs/monitoring.md, one section per alert).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tritonops.monitoring import names
from tritonops.monitoring.selection import Scope, Watched, quote
from tritonops.monitoring.timing import (
    BURN_WINDOWS,
    LATENCY_FOR_S,
    RATE_WINDOW_S,
    THROUGHPUT_FOR_S,
    BurnWindow,
    Timing,
)

RUNBOOK_BASE = "docs/monitoring.md"
AlertKind = Literal["burn", "latency", "queue", "throughput"]
Rule = dict[str, Any]


@dataclass(frozen=True)
class Alert:
    """One generated alert rule and what it watches (the unit-test generator reads this)."""

    name: str
    kind: AlertKind
    model: str
    rule: Rule
    # the limit in the SLO's own unit (ms, ratio, requests/s) and, for latency, the quantile
    limit: float
    quantile: float | None = None
    burn: BurnWindow | None = None


@dataclass(frozen=True)
class Rules:
    """A rules file: ``document`` is what Prometheus loads; ``alerts`` and ``notes`` explain it."""

    scope: Scope
    timing: Timing
    document: dict[str, Any]
    alerts: tuple[Alert, ...]
    notes: tuple[str, ...] = ()
    summaries_needed: bool = False
    recorded: tuple[str, ...] = field(default=())


def build_rules(
    scope: Scope, timing: Timing | None = None, runbook_base: str = RUNBOOK_BASE
) -> Rules:
    """The recording rules for every model of ``scope`` and the alerts of every SLO."""
    timing = timing or Timing()
    recording = _recording(scope, timing)
    alerts: list[Alert] = []
    notes: list[str] = []
    for watched in scope.with_slo:
        alerts += _alerts_for(scope, watched, timing, runbook_base, notes)
    groups: list[Rule] = [{"name": f"tritonops:{scope.project}:recording", "rules": recording}]
    if alerts:
        groups.append(
            {"name": f"tritonops:{scope.project}:alerts", "rules": [a.rule for a in alerts]}
        )
    needed = any(a.kind in ("latency", "queue") for a in alerts)
    return Rules(
        scope,
        timing,
        {"groups": groups},
        tuple(alerts),
        tuple(notes),
        needed,
        tuple(r["record"] for r in recording),
    )


def _record(scope: Scope, name: str, expr: str) -> Rule:
    return {"record": name, "expr": expr, "labels": {names.PROJECT_LABEL: scope.project}}


def _sum_rate(scope: Scope, metric: str, window: str) -> str:
    return f"sum by ({names.BY}) (rate({scope.triton(metric)}[{window}]))"


def _recording(scope: Scope, timing: Timing) -> list[Rule]:
    rules: list[Rule] = []
    for seconds in timing.windows:
        w = timing.duration(seconds)
        ok = _sum_rate(scope, names.SUCCESS, w)
        failed = _sum_rate(scope, names.FAILURE, w)
        rules += [
            _record(scope, names.rate_name(names.SUCCESS, w), ok),
            _record(scope, names.rate_name(names.FAILURE, w), failed),
            _record(scope, names.requests_rate(w), f"{ok}\n+\n{failed}"),
            # no traffic gives 0/0 = NaN, which no comparison passes: an idle model never pages
            _record(scope, names.error_ratio(w), f"{failed}\n/\n({ok}\n+\n{failed})"),
        ]
    w = timing.duration(RATE_WINDOW_S)
    ok = _sum_rate(scope, names.SUCCESS, w)
    compute = " + ".join(_sum_rate(scope, metric, w) for metric in names.COMPUTE_US)
    rules += [
        _record(scope, names.rate_name(names.INFERENCES, w), _sum_rate(scope, names.INFERENCES, w)),
        _record(scope, names.rate_name(names.EXECUTIONS, w), _sum_rate(scope, names.EXECUTIONS, w)),
        # Triton adds request, queue and compute durations for successful requests only
        _record(
            scope,
            names.mean_ms("request", w),
            f"{_sum_rate(scope, names.REQUEST_US, w)}\n/ {ok} / 1000",
        ),
        _record(
            scope,
            names.mean_ms("queue", w),
            f"{_sum_rate(scope, names.QUEUE_US, w)}\n/ {ok} / 1000",
        ),
        _record(scope, names.mean_ms("compute", w), f"({compute})\n/ {ok} / 1000"),
        _record(
            scope,
            names.batch_size(w),
            f"{_sum_rate(scope, names.INFERENCES, w)}\n/ {_sum_rate(scope, names.EXECUTIONS, w)}",
        ),
        _record(scope, names.busy(w), f"({compute}) / 1e6"),
        _record(
            scope,
            f"{names.LEVEL}:{names.PENDING}:sum",
            f"sum by ({names.BY}) ({scope.triton(names.PENDING)})",
        ),
    ]
    quantiles = sorted({0.5, 0.99} | {q for w_ in scope.with_slo for q, _ in _limits(w_)})
    for summary in (names.REQUEST_SUMMARY, names.QUEUE_SUMMARY):
        for q in quantiles:
            series = scope.triton(summary, quantile=names.quantile_label(q))
            rules.append(
                _record(
                    scope, names.quantile_ms(summary, q), f"max by ({names.BY}) ({series}) / 1000"
                )
            )
    return rules


def _limits(watched: Watched) -> list[tuple[float, float]]:
    return watched.slo.latency_limits if watched.slo is not None else []


def _selector(scope: Scope, model: str) -> str:
    return f"{{{names.PROJECT_LABEL}={quote(scope.project)}, model={quote(model)}}}"


def _alert(
    name: str,
    expr: str,
    for_s: float,
    timing: Timing,
    labels: dict[str, str],
    summary: str,
    description: str,
    runbook_base: str,
) -> Rule:
    rule: Rule = {"alert": name, "expr": expr}
    if for_s:
        rule["for"] = timing.duration(for_s)
    rule["labels"] = labels
    rule["annotations"] = {
        "summary": summary,
        "description": description,
        "runbook_url": f"{runbook_base}#{name.lower()}",
    }
    return rule


def _alerts_for(
    scope: Scope, watched: Watched, timing: Timing, runbook_base: str, notes: list[str]
) -> list[Alert]:
    slo = watched.slo
    assert slo is not None  # scope.with_slo holds only models with an SLO
    model, sel = watched.model, _selector(scope, watched.model)
    version = "{{ $labels.version }}"
    # the model label makes each rule distinct (promtool lints same-named rules with equal labels)
    base = {names.PROJECT_LABEL: scope.project, "model": model}
    found: list[Alert] = []
    if slo.max_error_rate is not None:
        budget = slo.max_error_rate
        for burn in BURN_WINDOWS:
            threshold = burn.factor * budget
            if threshold >= 1:
                notes.append(
                    f"{model}: no {burn.name}-burn alert — {burn.factor:g} × the error budget"
                    f" {budget:g} is {threshold:g}, a ratio no model can exceed"
                )
                continue
            long_w, short_w = timing.duration(burn.long_s), timing.duration(burn.short_s)
            name = f"TritonErrorBudget{burn.name.title()}Burn"
            expr = (
                f"{names.error_ratio(long_w)}{sel} > {threshold:g}\n"
                f"and\n{names.error_ratio(short_w)}{sel} > {threshold:g}"
            )
            labels = {**base, "severity": "critical", "slo": "error_ratio", "window": long_w}
            summary = f"{model} burns its error budget {burn.factor:g}x too fast"
            description = (
                f"Model {model} version {version} failed more than {threshold:.4g} of its requests"
                f" over the last {long_w} and {short_w} (SLO: at most {budget:g}); at this rate"
                f" {burn.budget_spent:.0%} of a 30-day error budget goes in {long_w}."
            )
            rule = _alert(name, expr, 0, timing, labels, summary, description, runbook_base)
            found.append(Alert(name, "burn", model, rule, budget, burn=burn))
    for quantile, limit in slo.latency_limits:
        suffix = names.quantile_suffix(quantile)
        name = f"TritonLatency{suffix.upper()}High"
        expr = f"{names.quantile_ms(names.REQUEST_SUMMARY, quantile)}{sel} > {limit:g}"
        labels = {**base, "severity": "warning", "slo": f"latency_{suffix}"}
        summary = f"{model} {suffix} request time is over its {limit:g} ms SLO"
        description = (
            f"Model {model} version {version}: the {suffix} of Triton's request time (worst"
            f" replica) stayed above {limit:g} ms for {timing.duration(LATENCY_FOR_S)}."
        )
        rule = _alert(name, expr, LATENCY_FOR_S, timing, labels, summary, description, runbook_base)
        found.append(Alert(name, "latency", model, rule, limit, quantile=quantile))
    if slo.queue_p99_ms is not None:
        limit = slo.queue_p99_ms
        name = "TritonQueueP99High"
        expr = f"{names.quantile_ms(names.QUEUE_SUMMARY, 0.99)}{sel} > {limit:g}"
        labels = {**base, "severity": "warning", "slo": "queue_p99"}
        summary = f"{model} requests wait over {limit:g} ms in Triton's queue"
        description = (
            f"Model {model} version {version}: the p99 of the time requests wait in the scheduler"
            f" queue stayed above {limit:g} ms for {timing.duration(LATENCY_FOR_S)}."
        )
        rule = _alert(name, expr, LATENCY_FOR_S, timing, labels, summary, description, runbook_base)
        found.append(Alert(name, "queue", model, rule, limit, quantile=0.99))
    if slo.min_throughput_rps is not None:
        limit = slo.min_throughput_rps
        name = "TritonThroughputLow"
        w = timing.duration(RATE_WINDOW_S)
        # summed over versions: the floor is the model's, whichever versions serve it
        expr = (
            f"sum by ({names.PROJECT_LABEL}, model) ({names.rate_name(names.SUCCESS, w)}{sel})"
            f" < {limit:g}"
        )
        labels = {**base, "severity": "warning", "slo": "min_throughput"}
        summary = f"{model} serves fewer than {limit:g} successful requests/s"
        description = (
            f"Model {model} served under {limit:g} successful requests per second (every"
            f" replica and version together) for {timing.duration(THROUGHPUT_FOR_S)}."
        )
        rule = _alert(
            name, expr, THROUGHPUT_FOR_S, timing, labels, summary, description, runbook_base
        )
        found.append(Alert(name, "throughput", model, rule, limit))
    return found
