"""The build orchestrator on python models: cache, lineage, atomic store, repository render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tritonops.builders import lineage
from tritonops.builders.base import Artifact, BuildContext
from tritonops.builders.python import PythonBuilder
from tritonops.builders.run import build_project
from tritonops.builders.store import artifact_dir
from tritonops.cli.main import cli
from tritonops.errors import BuildError

MODEL_PY = """
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        return [
            pb_utils.InferenceResponse(
                [pb_utils.Tensor("y", pb_utils.get_input_tensor_by_name(r, "x").as_numpy())]
            )
            for r in requests
        ]
"""

PROJECT = """
models:
  - name: echo
    kind: python
    source: echo
    versions: [1, 2]
    max_batch_size: 4
    inputs: [{ name: x, data_type: fp32, dims: [2] }]
    outputs: [{ name: y, data_type: fp32, dims: [2] }]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "model.py").write_text(MODEL_PY)
    (tmp_path / "echo" / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / "tritonops.yaml").write_text(PROJECT)
    return tmp_path / "tritonops.yaml"


def test_first_build_writes_artifacts_lineage_and_repository(project: Path) -> None:
    result = build_project(project)
    root = project.parent
    assert result.built == ["echo"]
    assert result.repository_state == "written"
    for version in (1, 2):
        assert (root / "model_repository" / "echo" / str(version) / "model.py").is_file()
        assert (root / "model_repository" / "echo" / str(version) / "helper.py").is_file()
        record = lineage.read(root, "echo", version)
        assert record is not None
        assert set(record.artifacts) == {"model.py", "helper.py"}
        assert record.tools["python"]
    assert result.report is not None
    assert result.report.valid


def test_second_build_does_no_work(project: Path) -> None:
    build_project(project)
    again = build_project(project)
    assert again.built == []
    assert again.repository_state == "up-to-date"
    assert [m.state for m in again.models] == ["up-to-date"]


def test_a_changed_source_rebuilds_and_rerenders(project: Path) -> None:
    build_project(project)
    (project.parent / "echo" / "helper.py").write_text("VALUE = 2\n")
    again = build_project(project)
    assert again.built == ["echo"]
    assert again.repository_state == "written"
    copied = project.parent / "model_repository" / "echo" / "1" / "helper.py"
    assert copied.read_text() == "VALUE = 2\n"


def test_force_rebuilds_what_is_up_to_date(project: Path) -> None:
    build_project(project)
    assert build_project(project, force=True).built == ["echo"]


def test_a_tampered_store_rebuilds(project: Path) -> None:
    build_project(project)
    (artifact_dir(project.parent, "echo") / "model.py").write_text("# changed by hand\n")
    assert build_project(project).built == ["echo"]


def test_failed_build_leaves_previous_artifact_and_repository(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_project(project)
    root = project.parent
    before = (root / "model_repository" / "echo" / "1" / "model.py").read_text()
    (root / "echo" / "model.py").write_text(MODEL_PY + "\n# v2\n")

    def broken(self: PythonBuilder, ctx: BuildContext) -> Artifact:
        (ctx.work_dir / "model.py").write_text("half written")
        raise BuildError("interrupted on purpose")

    monkeypatch.setattr(PythonBuilder, "build", broken)
    with pytest.raises(BuildError, match="interrupted on purpose"):
        build_project(project)
    assert (artifact_dir(root, "echo") / "model.py").read_text() == before
    assert (root / "model_repository" / "echo" / "1" / "model.py").read_text() == before
    leftovers = [
        p.name for p in artifact_dir(root, "echo").parent.iterdir() if p.name.startswith(".")
    ]
    assert leftovers == []


def test_dry_run_prints_steps_and_builds_nothing(project: Path) -> None:
    events: list[tuple[str, str]] = []
    result = build_project(project, dry_run=True, on_event=lambda m, w: events.append((m, w)))
    assert [m.state for m in result.models] == ["planned"]
    assert any("copy" in what for _, what in events)
    assert result.repository_state == "not-rendered"
    assert not (project.parent / "model_repository").exists()


def test_only_names_must_exist(project: Path) -> None:
    with pytest.raises(BuildError, match="nope"):
        build_project(project, only=["nope"])


def test_cli_build_then_history_shows_lineage(project: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["build", "-f", str(project), "--quiet"])
    assert built.exit_code == 0, built.output
    assert "1 built" in built.output
    again = runner.invoke(cli, ["build", "-f", str(project)])
    assert "nothing to build" in again.output
    assert "up-to-date" in again.output
    shown = runner.invoke(cli, ["history", "-f", str(project), "echo"])
    assert shown.exit_code == 0, shown.output
    assert "built      v1" in shown.output


def test_signature_fills_unset_io(project: Path, tmp_path: Path) -> None:
    from tritonops.builders.artifact_signature import apply_signature
    from tritonops.spec import load_project, plan_models

    spec_file = tmp_path / "open.yaml"
    spec_file.write_text("models:\n  - {name: echo, kind: python, source: echo}\n")
    loaded = load_project(spec_file)
    plan = plan_models(loaded)[0]
    signature: dict[str, Any] = {
        "parameters": {"k": "v"},
        "signature": {
            "max_batch_size": 8,
            "inputs": [{"name": "x", "data_type": "TYPE_FP32", "dims": [3]}],
            "outputs": [{"name": "y", "data_type": "TYPE_INT64", "dims": [1]}],
        },
    }
    sig_file = tmp_path / "sig.json"
    sig_file.write_text(json.dumps(signature))
    filled = apply_signature(plan, loaded.models[0], sig_file).config
    assert filled.max_batch_size == 8
    assert [t.name for t in filled.input] == ["x"]
    assert filled.parameters["k"] == "v"


def test_signature_conflict_names_both_sides(project: Path, tmp_path: Path) -> None:
    from tritonops.builders.artifact_signature import apply_signature
    from tritonops.spec import load_project, plan_models

    loaded = load_project(project)
    plan = plan_models(loaded)[0]
    sig_file = tmp_path / "sig.json"
    sig_file.write_text(
        json.dumps(
            {
                "signature": {
                    "max_batch_size": 4,
                    "inputs": [{"name": "x", "data_type": "TYPE_INT32", "dims": [2]}],
                    "outputs": [{"name": "y", "data_type": "TYPE_FP32", "dims": [2]}],
                }
            }
        )
    )
    with pytest.raises(BuildError, match="project file says TYPE_FP32, the artifact TYPE_INT32"):
        apply_signature(plan, loaded.models[0], sig_file)
