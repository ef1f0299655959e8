"""Every generated rules file passes `promtool check rules`, and the rules' own promtool unit
tests (synthetic series from the same SLOs) pass — and fail when the rules are wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.deploy.kubernetes import render_manifests
from tritonops.errors import MonitoringError
from tritonops.monitoring import (
    Timing,
    build_dashboard,
    check_rules,
    run_rule_tests,
    scope_of,
    write_rules,
)
from tritonops.monitoring.files import dump_yaml
from tritonops.spec import load_project

EXAMPLES = Path(__file__).parents[3] / "examples"
FULL = Path(__file__).parents[1] / "spec" / "data" / "full" / "tritonops.yaml"

EVERY_LIMIT = """repository: model_repository
models:
  - name: "odd.name+1"
    kind: python
    source: model.py
    slo: {p50_ms: 5, p95_ms: 9, p99_ms: 20, max_error_rate: 0.001, min_throughput_rps: 7,
          queue_p99_ms: 3}
  - name: loose
    kind: python
    source: model.py
    slo: {max_error_rate: 0.1}
  - name: strict
    kind: python
    source: model.py
    slo: {max_error_rate: 0}
"""


@pytest.fixture
def every_limit(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text("class TritonPythonModel:\n    pass\n")
    path = tmp_path / "tritonops.yaml"
    path.write_text(EVERY_LIMIT)
    return path


@pytest.mark.parametrize(
    "project",
    [EXAMPLES / "quickstart" / "tritonops.yaml", EXAMPLES / "tour" / "tritonops.yaml", FULL],
)
def test_example_rules_check_and_their_tests_pass(
    project: Path, tmp_path: Path, promtool: Path
) -> None:
    written = write_rules(project, tmp_path / "rules.yml", tests=tmp_path / "test.yml", check=True)
    assert "SUCCESS" in written.checked[0]
    assert "SUCCESS" in written.checked[-1]


# scaled rules (what the real-Prometheus test loads) against their scaled tests, then the real ones
@pytest.mark.parametrize("scale", [1 / 60, 1.0])
def test_every_kind_of_alert_fires_on_a_breach_and_not_when_healthy(
    every_limit: Path, tmp_path: Path, promtool: Path, scale: float
) -> None:
    written = write_rules(
        every_limit,
        tmp_path / "rules.yml",
        tests=tmp_path / "test.yml",
        labels={"job": "triton"},
        timing=Timing(scale),
        check=True,
    )
    kinds = {a.kind for a in written.rules.alerts}
    assert kinds == {"burn", "latency", "queue", "throughput"}
    assert "SUCCESS" in written.checked[-1]
    tests = yaml.safe_load((tmp_path / "test.yml").read_text())["tests"]
    # one healthy scenario, then a breach and a near miss per alert
    assert len(tests) == 1 + 2 * len(written.rules.alerts)


def test_the_unit_tests_catch_wrong_rules(
    every_limit: Path, tmp_path: Path, promtool: Path
) -> None:
    written = write_rules(every_limit, tmp_path / "rules.yml", tests=tmp_path / "test.yml")
    document = yaml.safe_load(written.path.read_text())
    # a slow-burn threshold 10x too high must make the generated breach test fail
    for rule in document["groups"][1]["rules"]:
        if rule["alert"] == "TritonErrorBudgetSlowBurn":
            rule["expr"] = rule["expr"].replace("> 0.006", "> 0.06")
    written.path.write_text(dump_yaml(document))
    check_rules(written.path)
    with pytest.raises(MonitoringError, match="TritonErrorBudgetSlowBurn"):
        run_rule_tests(tmp_path / "test.yml")


def test_check_rules_reports_bad_promql(tmp_path: Path, promtool: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(x[5m]\n")
    with pytest.raises(MonitoringError, match="promtool check rules"):
        check_rules(bad)


def test_the_kubernetes_prometheus_rule_passes_promtool(tmp_path: Path, promtool: Path) -> None:
    project = load_project(FULL)
    result = render_manifests(project, tmp_path / "k8s")
    rule_file = next(f.path for f in result.files if f.kind == "PrometheusRule")
    spec = yaml.safe_load(rule_file.read_text())["spec"]
    plain = tmp_path / "rules.yml"
    plain.write_text(dump_yaml(spec))
    assert "SUCCESS" in check_rules(plain)


def test_a_missing_promtool_names_the_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRITONOPS_PROMTOOL", str(tmp_path / "nothing"))
    with pytest.raises(MonitoringError, match="apt-get install prometheus"):
        check_rules(tmp_path / "rules.yml")


def test_deploy_kubernetes_of_the_quickstart_writes_checked_rules_and_a_dashboard(
    tmp_path: Path, promtool: Path
) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", project)
    data = yaml.safe_load((project / "tritonops.yaml").read_text())
    data["targets"]["kubernetes"] = {"repository_uri": "s3://bucket/digits"}
    (project / "tritonops.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "k8s"
    args = ["deploy", "--target", "kubernetes", "-f", str(project / "tritonops.yaml")]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output

    rule = yaml.safe_load((out / "prometheusrule-quickstart.yaml").read_text())
    alerts = [r for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) >= 2
    # the rules read only what the ServiceMonitor scrapes: job = the Service, its namespace
    assert 'job="quickstart", namespace="default"' in rule["spec"]["groups"][0]["rules"][0]["expr"]
    plain = tmp_path / "rules.yml"
    plain.write_text(dump_yaml(rule["spec"]))
    assert "SUCCESS" in check_rules(plain)

    board = yaml.safe_load((out / "configmap-quickstart-dashboard.yaml").read_text())
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(board["data"]["quickstart.json"])
    assert dashboard["title"] == "tritonops: quickstart"
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert "prometheusrule-quickstart.yaml" in kustomization["resources"]
    assert "configmap-quickstart-dashboard.yaml" in kustomization["resources"]


def test_every_dashboard_query_is_valid_promql(tmp_path: Path, promtool: Path) -> None:
    """promtool has no query checker, so the dashboard's queries go through it as recording
    rules: PromQL that does not parse fails `promtool check rules`."""
    board = build_dashboard(scope_of(load_project(FULL), {"job": "triton"}))
    exprs = sorted({t["expr"] for p in board["panels"] for t in p.get("targets", [])})
    rules = [{"record": f"dashboard:query:{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(dump_yaml({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in check_rules(path)
