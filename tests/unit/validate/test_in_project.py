"""Findings about models a project declares are located in the project file, not the output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.builders.run import build_project
from tritonops.cli.main import cli
from tritonops.errors import ValidationFailed
from tritonops.repository.locate import path_at
from tritonops.repository.validate.report import ValidationReport, format_report

MODEL_PY = """
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        out = []
        for r in requests:
            x = pb_utils.get_input_tensor_by_name(r, "X").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("Y", x)]))
        return out
"""

# step 1 reads 'midle' (a typo for 'middle'): the ensemble checks on the generated config catch it
PROJECT = """\
models:
  - name: first
    kind: python
    source: step
    max_batch_size: 4
    inputs: [{ name: X, data_type: fp32, dims: [2] }]
    outputs: [{ name: Y, data_type: fp32, dims: [2] }]
  - name: second
    kind: python
    source: step
    max_batch_size: 4
    inputs: [{ name: X, data_type: fp32, dims: [2] }]
    outputs: [{ name: Y, data_type: fp32, dims: [2] }]
ensembles:
  - name: chain
    max_batch_size: 4
    inputs: [{ name: IN, data_type: fp32, dims: [2] }]
    outputs: [{ name: OUT, data_type: fp32, dims: [2] }]
    steps:
      - model: first
        inputs: { X: IN }
        outputs: { Y: middle }
      - model: second
        inputs: { X: midle }
        outputs: { Y: OUT }
"""

CONFIG = """\
name: "chain"
platform: "ensemble"
input [
  {
    name: "IN"
  }
]
ensemble_scheduling {
  step [
    {
      model_name: "first"
      input_map { key: "X" value: "IN" }
    }
  ]
}
"""


def test_path_at_names_the_field_of_a_line() -> None:
    assert path_at(CONFIG, 2) == [("platform", None)]
    assert path_at(CONFIG, 5) == [("input", 0), ("name", None)]
    assert path_at(CONFIG, 12) == [("ensemble_scheduling", None), ("step", 0), ("input_map", "X")]
    assert path_at(CONFIG, 13) == [("ensemble_scheduling", None), ("step", 0), ("input_map", "X")]


def test_ensemble_typo_is_reported_at_the_project_line(tmp_path: Path) -> None:
    (tmp_path / "step").mkdir()
    (tmp_path / "step" / "model.py").write_text(MODEL_PY)
    (tmp_path / "tritonops.yaml").write_text(PROJECT)
    with pytest.raises(ValidationFailed) as caught:
        build_project(tmp_path / "tritonops.yaml")
    located = {d.code: d for d in caught.value.diagnostics}
    reads = located["TRITON-E011"]  # step 1 reads a tensor nobody writes
    assert reads.project is not None
    assert reads.project.path == "ensembles[0].steps[1].inputs.X"
    assert reads.project.line == PROJECT.splitlines().index("        inputs: { X: midle }") + 1
    assert str(reads).startswith(f"{tmp_path / 'tritonops.yaml'}:{reads.project.line}:")
    assert "(generated chain/config.pbtxt:" in str(reads)  # the output stays as a note
    written = located["TRITON-E010"]  # step 0 writes a tensor nobody reads
    assert written.project is not None
    assert written.project.path == "ensembles[0].steps[0].outputs.Y"
    report = ValidationReport(models=3, diagnostics=list(caught.value.diagnostics))
    as_json = json.loads(format_report(report, "json"))
    assert {d["project"]["path"] for d in as_json["diagnostics"]} >= {reads.project.path}
    github = format_report(report, "github")
    assert f"tritonops.yaml,line={reads.project.line},col=" in github


def test_a_repository_validated_without_its_project_names_its_own_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered by a project, edited, checked alone: findings name the repository's files."""
    project = tmp_path / "project"
    (project / "step").mkdir(parents=True)
    (project / "step" / "model.py").write_text(MODEL_PY)
    (project / "tritonops.yaml").write_text(PROJECT.replace("X: midle", "X: middle"))
    build_project(project / "tritonops.yaml")
    repo = tmp_path / "elsewhere" / "repo"
    shutil.copytree(project / "model_repository", repo)
    config = repo / "chain" / "config.pbtxt"
    config.write_text(config.read_text().replace('value: "middle"', 'value: "midle"', 1))
    monkeypatch.chdir(tmp_path / "elsewhere")  # no tritonops.yaml here or above
    result = CliRunner().invoke(cli, ["validate", "repo", "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["diagnostics"]
    for finding in report["diagnostics"]:
        assert "project" not in finding
        assert (repo / finding["file"].split("/")[0]).is_dir(), finding
    text = CliRunner().invoke(cli, ["validate", "repo"]).output
    assert "chain/config.pbtxt:" in text
    assert "generated" not in text
    assert "tritonops.yaml" not in text
