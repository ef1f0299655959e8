"""SLOs in the project file: per model/ensemble and per experiment, one type, located errors."""

from __future__ import annotations

from collections.abc import Callable

from spec_helpers import LoadIssues, at

from tritonops.spec import ExperimentSlo, ModelSlo, Project, SloSpec


def test_model_and_ensemble_slos_load(project_of: Callable[[str], Project]) -> None:
    project = project_of(
        """
        models:
          - name: m
            kind: python
            source: model.py
            slo: {p50_ms: 5, p99_ms: 40, max_error_rate: 0.001, min_throughput_rps: 20,
                  queue_p99_ms: 10}
        ensembles:
          - name: e
            steps: [{model: m, inputs: {x: x}, outputs: {y: y}}]
            slo: {p99_ms: 80}
        experiments:
          - name: ab
            variants: [{name: a, model: m}, {name: b, model: m, version: 1}]
            slo: {p95_ms: 50, max_error_rate: 0.01, min_accuracy: 0.9}
        """
    )
    slo = project.models[0].slo
    assert isinstance(slo, ModelSlo)
    assert slo.latency_limits == [(0.5, 5), (0.99, 40)]
    assert slo.min_throughput_rps == 20
    assert slo.queue_p99_ms == 10
    ensemble_slo = project.ensembles[0].slo
    assert ensemble_slo is not None
    assert ensemble_slo.latency_limits == [(0.99, 80)]
    # the experiment's SLO is the same type family, under its old name too
    assert isinstance(project.experiments[0].slo, ExperimentSlo)
    assert SloSpec is ExperimentSlo
    assert project.experiments[0].slo.latency_limits == [(0.95, 50)]


def test_slo_errors_are_located(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: m
            kind: python
            source: model.py
            slo: {p50_ms: 50, p99_ms: 10, max_error_rate: 2, min_accuracy: 0.9}
          - name: n
            kind: python
            source: model.py
            slo: {min_throughput_rps: 0, queue_p99_ms: -1, p90_ms: 3}
        experiments:
          - name: ab
            variants: [{name: a, model: m}, {name: b, model: n}]
            slo: {min_throughput_rps: 10}
          - name: cd
            variants: [{name: a, model: m}, {name: b, model: n}]
            slo: {queue_p99_ms: 10}
        """
    )
    assert "must be <= 1" in at(issues, "models[0].slo.max_error_rate").message
    assert "must be > 0" in at(issues, "models[1].slo.min_throughput_rps").message
    assert "must be > 0" in at(issues, "models[1].slo.queue_p99_ms").message
    assert at(issues, "models[1].slo.p90_ms").line == 9
    assert "splits traffic" in str(at(issues, "experiments[0].slo"))
    queue = at(issues, "experiments[1].slo")
    assert "under the model's slo" in str(queue)
    assert queue.line == 16


def test_quantile_order_and_accuracy_rules(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: m
            kind: python
            source: model.py
            slo: {p50_ms: 50, p99_ms: 10}
          - name: n
            kind: python
            source: model.py
            slo: {min_accuracy: 0.9}
        """
    )
    order = at(issues, "models[0].slo")
    assert "p50_ms (50) is above p99_ms (10)" in str(order)
    assert order.line == 5
    assert "only an experiment" in str(at(issues, "models[1].slo"))


def test_a_limit_must_be_a_plain_number(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: m
            kind: python
            source: model.py
            slo: {p99_ms: 40ms, max_error_rate: true, min_throughput_rps: "20"}
        """
    )
    assert "without unit or quotes" in str(at(issues, "models[0].slo.p99_ms"))
    assert "YAML read this as true" in str(at(issues, "models[0].slo.max_error_rate"))
    assert "'20' is text" in str(at(issues, "models[0].slo.min_throughput_rps"))
