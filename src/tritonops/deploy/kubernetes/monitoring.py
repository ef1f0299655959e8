"""The project's SLO alerts and dashboard as Kubernetes objects for Prometheus Operator and Grafana.

A ``PrometheusRule`` (monitoring.coreos.com/v1) holds the rules of ``tritonops.monitoring``; its
rules read only the series the project's ServiceMonitor scrapes: with no ``jobLabel`` (ours sets
none) Prometheus Operator labels them ``job=<the Service's name>`` (ServiceMonitorSpec.jobLabel in
prometheus-operator's API reference) and ``namespace=<its namespace>``. A ``ConfigMap`` labelled
``grafana_dashboard: "1"`` carries the dashboard JSON: ``grafana_dashboard`` is the Grafana chart's
default ``sidecar.dashboards.label``, and kube-prometheus-stack (from chart 32.2.0) also requires
the value ``"1"`` (``sidecar.dashboards.labelValue``).
"""

from __future__ import annotations

import json

from tritonops.deploy.kubernetes.objects import Rendered, metadata
from tritonops.monitoring import build_dashboard, build_rules, scope_of
from tritonops.spec.project import Project
from tritonops.spec.targets import KubernetesTarget

DASHBOARD_LABEL = ("grafana_dashboard", "1")


def _scope_labels(name: str, target: KubernetesTarget) -> dict[str, str]:
    return {"job": name, "namespace": target.namespace}


def prometheus_rule(project: Project, name: str, target: KubernetesTarget) -> Rendered:
    rules = build_rules(scope_of(project, _scope_labels(name, target), name))
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata(name, target.namespace),
        "spec": rules.document,
    }
    alerts = len(rules.alerts)
    comment = (
        f"Recording rules for every model and {alerts} alert(s) from the project's SLOs.",
        "Your Prometheus must select this PrometheusRule (check its ruleSelector).",
        *rules.notes,
    )
    return Rendered(manifest, comment)


def dashboard_config_map(project: Project, name: str, target: KubernetesTarget) -> Rendered:
    board = build_dashboard(scope_of(project, _scope_labels(name, target), name))
    meta = metadata(f"{name}-dashboard", target.namespace)
    meta["labels"] = {**meta["labels"], DASHBOARD_LABEL[0]: DASHBOARD_LABEL[1]}
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": {f"{name}.json": json.dumps(board, indent=1, sort_keys=True)},
    }
    comment = (
        "Grafana dashboard (rate, errors, latency vs SLO, queue vs compute, batch size,"
        " utilisation, A/B variants); Grafana's sidecar loads ConfigMaps labelled"
        ' grafana_dashboard: "1".',
    )
    return Rendered(manifest, comment)
