"""Paths the project file points at: sources, model files, environments, datasets, templates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from spec_helpers import LoadIssues, WriteProject, at, where

from tritonops.spec import Project, load_project, plan_models


def test_onnx_source_must_be_an_existing_onnx_file(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: onnx, source: missing.onnx}
          - {name: b, kind: onnx, source: model.py}
          - {name: c, kind: onnx}
        """
    )
    missing = at(issues, "models[0].source")
    assert where(missing) == (2, 35)
    assert missing.message.startswith("'missing.onnx' does not exist (paths are relative to")
    assert missing.fix == "fix the path or create the file"
    assert at(issues, "models[1].source").message == "'model.py' is not an .onnx file"
    none = at(issues, "models[2].source")
    assert (none.line, none.message, none.fix) == (
        4,
        "a onnx model needs a source",
        "set source: to a .onnx file",
    )


def test_python_source_file_or_folder(issues_of: LoadIssues, tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("")
    (tmp_path / "empty").mkdir()
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: other.py}
          - {name: b, kind: python, source: empty}
          - {name: c, kind: python, source: gone/model.py}
        """
    )
    named = at(issues, "models[0].source")
    assert named.message == "a python model's file must be named model.py, got 'other.py'"
    assert named.fix == "rename it to model.py or set default_model_filename: other.py"
    assert at(issues, "models[1].source").message == "folder 'empty' has no model.py"
    assert "does not exist" in at(issues, "models[2].source").message


def test_default_model_filename_renames_the_version_file(
    write_project: WriteProject, tmp_path: Path
) -> None:
    (tmp_path / "other.py").write_text("")
    project = load_project(
        write_project(
            """
            models:
              - {name: a, kind: python, source: other.py, default_model_filename: other.py}
              - {name: b, kind: onnx, source: a.onnx, default_model_filename: net.onnx}
            """
        )
    )
    a, b = plan_models(project)
    assert a.version_files == {"other.py": tmp_path / "other.py"}
    assert b.version_files == {"net.onnx": tmp_path / "a.onnx"}
    assert b.config.default_model_filename == "net.onnx"


def test_python_folder_skips_pycache(write_project: WriteProject, tmp_path: Path) -> None:
    folder = tmp_path / "pkg"
    (folder / "lib" / "__pycache__").mkdir(parents=True)
    (folder / "model.py").write_text("")
    (folder / "lib" / "util.py").write_text("")
    (folder / "lib" / "__pycache__" / "util.cpython-311.pyc").write_bytes(b"")
    project = load_project(write_project("models: [{name: a, kind: python, source: pkg}]\n"))
    (plan,) = plan_models(project)
    assert plan.version_files == {
        "lib/util.py": folder / "lib" / "util.py",
        "model.py": folder / "model.py",
    }


def test_tensorrt_llm_source_is_optional(project_of: Callable[[str], Project]) -> None:
    project = project_of("models: [{name: llm, kind: tensorrt_llm, source: not/built/yet}]\n")
    (plan,) = plan_models(project)
    assert plan.version_files == {}
    assert plan.config.backend == "tensorrtllm"


def test_backend_override(project_of: Callable[[str], Project]) -> None:
    project = project_of(
        "models: [{name: a, kind: python, source: model.py, backend: my_pybackend,"
        " runtime: model.py, platform: custom}]\n"
    )
    config = plan_models(project)[0].config
    assert (config.backend, config.runtime, config.platform) == (
        "my_pybackend",
        "model.py",
        "custom",
    )


def test_files_and_execution_env(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: onnx
            source: a.onnx
            files:
              labels.txt: nope.txt
              ../escape.txt: model.py
              1/model.onnx: a.onnx
              config.pbtxt: a.onnx
            execution_env: env.tar.gz
            parameters: {EXECUTION_ENV_PATH: x}
        """
    )
    assert [(i.line, i.path) for i in issues] == [
        (6, "models[0].files['labels.txt']"),
        (7, "models[0].files['../escape.txt']"),
        (8, "models[0].files['1/model.onnx']"),
        (9, "models[0].files['config.pbtxt']"),
        (10, "models[0].execution_env"),
        (10, "models[0].execution_env"),
        (11, "models[0].parameters.EXECUTION_ENV_PATH"),
    ]
    assert where(issues[1]) == (7, 7)  # the key itself
    assert issues[1].message == "'../escape.txt' must be a relative path inside the model folder"
    assert issues[2].message == "'1/model.onnx' would land in version folder 1"
    assert issues[3].message == "config.pbtxt is rendered from this model's settings"
    assert issues[4].message == "execution_env is for python models only"
    assert issues[6].message == "EXECUTION_ENV_PATH is set both here and by execution_env"


def test_experiment_dataset(issues_of: LoadIssues, tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("")
    issues = issues_of(
        """
        models: [{name: m, kind: python, source: model.py, versions: [1, 2]}]
        experiments:
          - name: a
            variants: [{name: x, model: m, version: 1}, {name: y, model: m, version: 2}]
            dataset: d.csv
          - name: b
            variants: [{name: x, model: m, version: 1}, {name: y, model: m, version: 2}]
            dataset: gone.jsonl
        """
    )
    assert at(issues, "experiments[0].dataset").message == "'d.csv' is neither .npz nor .jsonl"
    assert "does not exist" in at(issues, "experiments[1].dataset").message


def test_templates_folder(
    write_project: WriteProject, issues_of: LoadIssues, tmp_path: Path
) -> None:
    issue = at(issues_of("templates: overrides\n"), "templates")
    assert where(issue) == (1, 12)
    assert issue.message.startswith("templates folder 'overrides' does not exist")
    (tmp_path / "overrides").mkdir()
    project = load_project(write_project("templates: overrides\nrepository: ../out\n"))
    assert project.templates == tmp_path / "overrides"
    assert project.repository == tmp_path.parent / "out"


def test_paths_the_os_cannot_look_at(issues_of: LoadIssues) -> None:
    issues = issues_of(
        f"""
        models:
          - {{name: a, kind: onnx, source: "a\\0.onnx"}}
          - {{name: b, kind: python, source: {"x" * 300}/model.py}}
        """
    )
    assert [i.path for i in issues] == ["models[0].source", "models[1].source"]
    assert all("does not exist" in i.message for i in issues)
