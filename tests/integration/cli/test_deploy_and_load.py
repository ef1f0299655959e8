"""deploy --target local, validate --load and history, end to end on the real tritonserver."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli

from ..catalogue import python_code

ROOT = Path(__file__).resolve().parents[3]
# loads and answers, but under another output name than the config declares
WRONG_OUTPUT = python_code(expr="x", input="RAW", output="Z")


@pytest.fixture
def tour(tmp_path: Path) -> Path:
    project = tmp_path / "tour"
    shutil.copytree(ROOT / "examples" / "tour", project)
    # render and deploy lay out what the build store holds: a user builds first
    built = CliRunner().invoke(cli, ["build", "-f", str(project / "tritonops.yaml")])
    assert built.exit_code == 0, built.output
    return project


def test_deploy_local_smokes_every_model_and_records_history(tour: Path) -> None:
    runner = CliRunner()
    project = str(tour / "tritonops.yaml")
    result = runner.invoke(cli, ["deploy", "-f", project, "--no-serve"])
    assert result.exit_code == 0, result.output
    for model in ("classifier", "preprocess", "pipeline"):
        assert any(
            line.split()[:1] == [model] and "READY" in line for line in result.output.splitlines()
        )
    listed = runner.invoke(cli, ["history", "-f", project, "classifier"])
    assert listed.exit_code == 0, listed.output
    assert "local" in listed.output
    assert "success" in listed.output


def test_validate_load_passes_a_good_repository(tour: Path) -> None:
    runner = CliRunner()
    repo = tour / "repo"
    rendered = runner.invoke(
        cli, ["render", "-f", str(tour / "tritonops.yaml"), "--out", str(repo)]
    )
    assert rendered.exit_code == 0, rendered.output
    result = runner.invoke(cli, ["validate", str(repo), "--load", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["valid"] is True
    assert {r["model"]: r["state"] for r in report["load"]} == {
        "classifier": "READY",
        "preprocess": "READY",
        "pipeline": "READY",
    }


def test_validate_load_names_a_model_that_loads_but_answers_wrongly(tour: Path) -> None:
    """The config declares FEATURES, model.py emits Z: Triton loads it and answers 200, empty."""
    runner = CliRunner()
    repo = tour / "repo"
    assert (
        runner.invoke(
            cli, ["render", "-f", str(tour / "tritonops.yaml"), "--out", str(repo)]
        ).exit_code
        == 0
    )
    (repo / "preprocess" / "1" / "model.py").write_text(WRONG_OUTPUT)
    result = runner.invoke(cli, ["validate", str(repo), "--load", "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    codes = {(d["model"], d["code"]) for d in report["diagnostics"]}
    assert ("preprocess", "TRITON-X002") in codes
    load = {r["model"]: r for r in report["load"]}
    assert load["preprocess"]["state"] == "ERROR"
    assert "FEATURES" in load["preprocess"]["detail"]
