"""The dashboard's panels and the `tritonops monitoring` commands."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.monitoring import build_dashboard, scope_of
from tritonops.spec import load_project

QUICKSTART = Path(__file__).parents[3] / "examples" / "quickstart" / "tritonops.yaml"


def test_the_dashboard_has_a_row_per_model_and_the_variants_side_by_side() -> None:
    board = build_dashboard(scope_of(load_project(QUICKSTART)))
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows[:5] == ["preprocess", "digits_v1", "digits_v2", "pipeline_v1", "pipeline_v2"]
    assert "experiment digits-v2: variants side by side" in rows
    titles = [p["title"] for p in board["panels"] if p["type"] == "timeseries"]
    for title in ("rate", "errors", "request time vs SLO", "queue vs compute time"):
        assert title in titles
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert "vector(100)" in exprs  # the experiment's p99 SLO line on the pipelines
    assert any('model="pipeline_v2"' in e and ":p99" in e for e in exprs)
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


def test_rules_command_writes_rules_and_tests(tmp_path: Path) -> None:
    out, tests = tmp_path / "rules.yml", tmp_path / "t.yml"
    result = CliRunner().invoke(
        cli,
        ["monitoring", "rules", "-f", str(QUICKSTART), "-o", str(out), "--tests", str(tests),
         "--label", "job=triton"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "6 alerts" in result.output
    assert yaml.safe_load(out.read_text())["groups"][1]["name"] == "tritonops:quickstart:alerts"
    assert yaml.safe_load(tests.read_text())["rule_files"] == ["rules.yml"]


def test_rules_command_refuses_a_bad_label_cleanly(tmp_path: Path) -> None:
    args = ["monitoring", "rules", "-f", str(QUICKSTART), "-o", str(tmp_path / "r.yml")]
    result = CliRunner().invoke(cli, [*args, "--label", "9=x"])
    assert result.exit_code == 1
    assert "not a Prometheus label name" in result.output
    assert "Traceback" not in result.output


def test_dashboard_command_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    result = CliRunner().invoke(
        cli, ["monitoring", "dashboard", "-f", str(QUICKSTART), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["title"] == "tritonops: quickstart"


def test_an_unwritable_output_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    args = ["monitoring", "rules", "-f", str(QUICKSTART), "-o", str(blocker / "rules.yml")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "cannot write" in result.output
    assert "Traceback" not in result.output
