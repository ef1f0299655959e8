"""One pipeline: build fills the store; render and build lay out the repository from it alike."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.builders.run import build_project
from tritonops.builders.stored import render_project
from tritonops.cli.main import cli
from tritonops.errors import BuildError

FACTORY = """
import numpy as np
from sklearn.linear_model import LogisticRegression

from shapes.helper import SEED


def make():
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return LogisticRegression(random_state=0).fit(x, y), x[:8]
"""

PROJECT = """
repository: served
models:
  - name: sign_clf
    kind: onnx
    source: shapes.factory:make
    max_batch_size: 8
    outputs: [{ name: probabilities, data_type: fp32, dims: [2] }]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shapes").mkdir()
    (tmp_path / "shapes" / "factory.py").write_text(FACTORY)
    (tmp_path / "shapes" / "helper.py").write_text("SEED = 3\n")
    (tmp_path / "shapes" / "notes.py").write_text("# not imported by the factory\n")
    (tmp_path / "tritonops.yaml").write_text(PROJECT)
    return tmp_path / "tritonops.yaml"


def test_render_before_any_build_names_the_build_command(project: Path) -> None:
    with pytest.raises(BuildError, match=r"never been built.*tritonops build --only sign_clf"):
        render_project(project)
    result = CliRunner().invoke(cli, ["render", "-f", str(project)])
    assert result.exit_code == 1
    assert "tritonops build --only sign_clf" in result.output
    assert "Traceback" not in result.output


def test_render_and_a_second_build_follow_a_factory_build(project: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(cli, ["build", "-f", str(project), "--quiet"])
    assert built.exit_code == 0, built.output
    assert (tmp_path / "served" / "sign_clf" / "1" / "model.onnx").is_file()
    rendered = runner.invoke(cli, ["render", "-f", str(project)])
    assert rendered.exit_code == 0, rendered.output
    elsewhere = runner.invoke(cli, ["render", "-f", str(project), "--out", str(tmp_path / "o")])
    assert elsewhere.exit_code == 0, elsewhere.output
    assert (tmp_path / "o" / "sign_clf" / "1" / "model.onnx").read_bytes() == (
        tmp_path / ".tritonops" / "build" / "sign_clf" / "model.onnx"
    ).read_bytes()
    assert build_project(project).repository_state in ("up-to-date", "written")


def test_only_the_files_a_factory_imports_rebuild_it(project: Path, tmp_path: Path) -> None:
    assert build_project(project).built == ["sign_clf"]
    notes = tmp_path / "shapes" / "notes.py"
    notes.write_text(notes.read_text() + "# an edit\n")
    assert build_project(project).built == []
    (tmp_path / "shapes" / "helper.py").write_text("SEED = 4\n")
    assert build_project(project).built == ["sign_clf"]


def test_one_stamp_leaves_an_unchanged_repository_alone(project: Path, tmp_path: Path) -> None:
    assert build_project(project).repository_state == "written"
    config = tmp_path / "served" / "sign_clf" / "config.pbtxt"
    before = config.stat().st_mtime_ns
    assert render_project(project).state == "up-to-date"
    assert config.stat().st_mtime_ns == before
    # a change to the project file's settings renders again, from the same stored artifact
    text = project.read_text().replace("max_batch_size: 8", "max_batch_size: 4")
    project.write_text(text)
    assert render_project(project).state == "written"
    assert "max_batch_size: 4" in config.read_text()
