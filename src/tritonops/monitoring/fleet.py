"""What every replica of a model did over a time window, read from Prometheus.

A canary ramp behind a Kubernetes Service cannot judge the fleet from one pod's /metrics page.
``fleet_counters`` asks Prometheus instead: for each of Triton's counters (the inputs of the
recording rules, ``tritonops.server.metrics.COUNTERS``) it sums ``increase()`` over the window by
model, across every replica, version and failure reason — the aggregation the recording rules use,
over the ramp's own window rather than their fixed ones. ``increase`` handles a replica that
restarted (its counter reset) within the window.

Prometheus sees a window only after scraping every replica once more after it ended, so the
function first waits (bounded) until each series has a sample newer than the window's end. The
range starts at the last scrape before the window, so even a window shorter than the scrape
interval lies between two samples. Ratios (failure rate, mean request time) are exact up to scrape
alignment; counts are Prometheus' extrapolation to the range.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

from tritonops.errors import MonitoringError
from tritonops.monitoring import names
from tritonops.monitoring.query import PrometheusApi
from tritonops.monitoring.selection import quote, regex_escape
from tritonops.server.metrics import COUNTERS, ModelCounters


def _selector(models: Sequence[str], labels: Mapping[str, str]) -> str:
    matchers = [f"{k}={quote(v)}" for k, v in sorted(labels.items())]
    matchers.append(f"model=~{quote('|'.join(regex_escape(m) for m in sorted(set(models))))}")
    return "{" + ", ".join(matchers) + "}"


def _oldest_scrape(api: PrometheusApi, sel: str, at: float) -> float | None:
    """The oldest of every series' latest scrape at or before ``at`` (None: no series yet)."""
    found = api.query(f"min(timestamp({names.SUCCESS}{sel}))", at=at)
    if not found or math.isnan(found[0].value):
        return None
    return found[0].value


def wait_for_scrape(
    api: PrometheusApi,
    models: Sequence[str],
    origin: float,
    end: float,
    *,
    labels: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """A Unix time by which every series of ``models`` was scraped after ``end`` and holds two
    samples since ``origin``; ``MonitoringError`` when that does not happen within ``timeout_s``."""
    sel = _selector(models, labels or {})
    deadline = clock() + timeout_s
    while True:
        now = clock()
        newest = _oldest_scrape(api, sel, now)
        if newest is not None and newest >= end:
            span_ms = math.ceil((now - origin) * 1000) + 1
            counts = api.query(f"min(count_over_time({names.SUCCESS}{sel}[{span_ms}ms]))", at=now)
            if counts and counts[0].value >= 2:
                return now
        if now > deadline:
            raise MonitoringError(
                f"Prometheus at {api.url} has not scraped {', '.join(models)} since the window"
                f" ended (waited {timeout_s:g} s) — check that it scrapes every Triton replica"
                f" ({names.SUCCESS}{sel} must exist) and that its scrape interval is short"
            )
        sleep(1.0)


def fleet_counters(
    api: PrometheusApi,
    models: Sequence[str],
    start: float,
    end: float,
    *,
    labels: Mapping[str, str] | None = None,
    timeout_s: float = 120.0,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, ModelCounters]:
    """Per model, Triton's counters' increase over ``[start, end]`` summed over every replica.

    The range reaches back to the last scrape at or before ``start`` (the counters' value when
    the window opened) and forward to a scrape after ``end``: a window shorter than the scrape
    interval is still measured from two samples that enclose it.
    """
    sel = _selector(models, labels or {})
    # the counters' value when the window opened (None: no scrape before it, e.g. a new model)
    origin = _oldest_scrape(api, sel, start)
    first = start if origin is None else origin
    at = wait_for_scrape(
        api, models, first, end, labels=labels, timeout_s=timeout_s, clock=clock, sleep=sleep
    )
    # one millisecond more, so the range's left edge falls just before that first sample
    span_ms = math.ceil((at - first) * 1000) + 1
    values: dict[str, dict[str, float]] = {}
    for metric, field_name in COUNTERS.items():
        query = f"sum by (model) (increase({metric}{sel}[{span_ms}ms]))"
        for sample in api.query(query, at=at):
            model = sample.labels.get("model")
            if model is not None and not math.isnan(sample.value):
                values.setdefault(model, {})[field_name] = sample.value
    return {model: ModelCounters(**fields) for model, fields in values.items()}
