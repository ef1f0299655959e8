"""A Grafana dashboard for the project, built on the recording rules' series.

One row per model (request and inference rate, error ratio against the budget, p50/p99 request
time against the SLO lines, mean queue vs compute time, batch size, busy instances), one row per
experiment with its variants side by side, and the server's CPU/GPU utilisation. Panels query
Prometheus through a ``datasource`` variable, so the same JSON works on any Grafana.
Schema: Grafana's dashboard JSON model (grafana.com/docs/grafana/latest/dashboards/build-dashboards/
view-dashboard-json-model/), ``timeseries`` panels.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tritonops.monitoring import names
from tritonops.monitoring.selection import Scope, Variant, Watched, quote
from tritonops.monitoring.timing import RATE_WINDOW_S, Timing

Panel = dict[str, Any]
_DS = {"type": "prometheus", "uid": "${datasource}"}
_WIDTH, _HEIGHT = 8, 8


def build_dashboard(scope: Scope, timing: Timing | None = None) -> dict[str, Any]:
    """The dashboard JSON (a dict) for every model and experiment of ``scope``."""
    timing = timing or Timing()
    w = timing.duration(RATE_WINDOW_S)
    panels: list[Panel] = []
    y = 0
    for watched in scope.models:
        panels.append(_row(f"{watched.model}", y))
        y += 1
        for index, panel in enumerate(_model_panels(scope, watched, w)):
            panels.append(_place(panel, index, y))
        y += 2 * _HEIGHT
    for experiment, variants in scope.experiments.items():
        panels.append(_row(f"experiment {experiment}: variants side by side", y))
        y += 1
        for index, panel in enumerate(_variant_panels(scope, experiment, variants, w)):
            panels.append(_place(panel, index, y))
        y += _HEIGHT
    panels.append(_row("server", y))
    panels.append(
        _place(
            _timeseries(
                "CPU and GPU utilisation",
                "percentunit",
                [
                    (f"avg({names.CPU_UTILIZATION}{_labels(scope)})", "CPU"),
                    (
                        f"avg by (gpu_uuid) ({names.GPU_UTILIZATION}{_labels(scope)})",
                        "GPU {{gpu_uuid}}",
                    ),
                ],
            ),
            0,
            y + 1,
        )
    )
    for number, panel in enumerate(panels, start=1):
        panel["id"] = number
    uid = hashlib.sha256(f"tritonops:{scope.project}".encode()).hexdigest()[:12]
    return {
        "title": f"tritonops: {scope.project}",
        "uid": f"tritonops-{uid}",
        "tags": ["tritonops", "triton"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "panels": panels,
    }


def _labels(scope: Scope) -> str:
    if not scope.labels:
        return ""
    return "{" + ", ".join(f"{k}={quote(v)}" for k, v in sorted(scope.labels.items())) + "}"


def _sel(scope: Scope, model: str, version: int | None = None) -> str:
    matchers = [f"{names.PROJECT_LABEL}={quote(scope.project)}", f"model={quote(model)}"]
    if version is not None:
        matchers.append(f'version="{version}"')
    return "{" + ", ".join(matchers) + "}"


def _model_panels(scope: Scope, watched: Watched, w: str) -> list[Panel]:
    sel, slo = _sel(scope, watched.model), watched.slo
    errors = [(f"{names.error_ratio(w)}{sel}", "v{{version}} error ratio")]
    if slo is not None and slo.max_error_rate is not None:
        errors.append((f"vector({slo.max_error_rate:g})", "SLO (error budget)"))
    latency = [
        (f"{names.quantile_ms(names.REQUEST_SUMMARY, q)}{sel}", f"v{{{{version}}}} p{q * 100:g}")
        for q in (0.5, 0.99)
    ]
    latency.append((f"{names.mean_ms('request', w)}{sel}", "v{{version}} mean"))
    if slo is not None:
        latency += [(f"vector({limit:g})", f"SLO p{q * 100:g}") for q, limit in slo.latency_limits]
    throughput = [
        (f"{names.requests_rate(w)}{sel}", "v{{version}} requests/s"),
        (f"{names.rate_name(names.INFERENCES, w)}{sel}", "v{{version}} inferences/s"),
    ]
    if slo is not None and slo.min_throughput_rps is not None:
        throughput.append((f"vector({slo.min_throughput_rps:g})", "SLO floor (requests/s)"))
    queue = [
        (f"{names.mean_ms('queue', w)}{sel}", "v{{version}} queue (mean)"),
        (f"{names.mean_ms('compute', w)}{sel}", "v{{version}} compute (mean)"),
        (f"{names.quantile_ms(names.QUEUE_SUMMARY, 0.99)}{sel}", "v{{version}} queue p99"),
    ]
    if slo is not None and slo.queue_p99_ms is not None:
        queue.append((f"vector({slo.queue_p99_ms:g})", "SLO queue p99"))
    return [
        _timeseries("rate", "reqps", throughput),
        _timeseries("errors", "percentunit", errors),
        _timeseries("request time vs SLO", "ms", latency),
        _timeseries("queue vs compute time", "ms", queue),
        _timeseries(
            "batch size (inferences per execution)",
            "short",
            [(f"{names.batch_size(w)}{sel}", "v{{version}}")],
        ),
        _timeseries(
            "instance utilisation (busy compute seconds per second; pending requests)",
            "short",
            [
                (f"{names.busy(w)}{sel}", "v{{version}} busy instances"),
                (f"{names.LEVEL}:{names.PENDING}:sum{sel}", "v{{version}} pending"),
            ],
        ),
    ]


def _variant_panels(
    scope: Scope, experiment: str, variants: tuple[Variant, ...], w: str
) -> list[Panel]:
    def each(metric: str) -> list[tuple[str, str]]:
        return [
            (f"{metric}{_sel(scope, v.model, v.version)}", f"{v.name} ({v.model})")
            for v in variants
        ]

    return [
        _timeseries(f"{experiment}: requests/s", "reqps", each(names.requests_rate(w))),
        _timeseries(f"{experiment}: error ratio", "percentunit", each(names.error_ratio(w))),
        _timeseries(
            f"{experiment}: p99 request time",
            "ms",
            each(names.quantile_ms(names.REQUEST_SUMMARY, 0.99)),
        ),
    ]


def _timeseries(title: str, unit: str, queries: list[tuple[str, str]]) -> Panel:
    return {
        "type": "timeseries",
        "title": title,
        "datasource": _DS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"datasource": _DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i)}
            for i, (expr, legend) in enumerate(queries)
        ],
    }


def _row(title: str, y: int) -> Panel:
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "panels": [],
        "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
    }


def _place(panel: Panel, index: int, y: int) -> Panel:
    per_row = 24 // _WIDTH
    panel["gridPos"] = {
        "h": _HEIGHT,
        "w": _WIDTH,
        "x": (index % per_row) * _WIDTH,
        "y": y + (index // per_row) * _HEIGHT,
    }
    return panel
