"""Project inputs stay inside the project folder unless the project file opts in."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner
from spec_helpers import LoadIssues, WriteProject, at, where

from tritonops.cli.main import cli
from tritonops.spec import load_project, plan_models

FIX = "list the folder holding it under allow_paths_outside_project:"


def _outside(tmp_path: Path) -> Path:
    """A folder next to the project folder, holding a secret and an environment."""
    folder = tmp_path.parent / f"{tmp_path.name}-outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("hunter2", encoding="utf-8")
    (folder / "env.tar.gz").write_bytes(b"\x1f\x8b")
    (folder / "model.py").write_text("", encoding="utf-8")
    return folder


def test_absolute_and_parent_paths_out_of_the_project_are_refused(
    issues_of: LoadIssues, tmp_path: Path
) -> None:
    outside = _outside(tmp_path)
    issues = issues_of(
        f"""
        models:
          - name: a
            kind: python
            source: {outside}/model.py
            files:
              labels.txt: /etc/passwd
              vocab.txt: ../{outside.name}/secret.txt
            execution_env: {outside}/env.tar.gz
        """
    )
    source = at(issues, "models[0].source")
    assert where(source) == (4, 13)
    assert source.message == f"'{outside}/model.py' is outside the project folder {tmp_path}"
    assert FIX in source.fix
    labels = at(issues, "models[0].files['labels.txt']")
    assert labels.message.startswith("'/etc/passwd' is outside")
    assert where(at(issues, "models[0].files['vocab.txt']"))[0] == 7
    assert at(issues, "models[0].execution_env").line == 8


def test_a_symlink_inside_the_project_is_followed_before_the_check(
    issues_of: LoadIssues, tmp_path: Path
) -> None:
    outside = _outside(tmp_path)
    (tmp_path / "labels.txt").symlink_to(outside / "secret.txt")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "model.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "data").symlink_to(outside)
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: pkg, files: {labels.txt: labels.txt}}
        """
    )
    label = at(issues, "models[0].files['labels.txt']")
    assert label.message == (
        f"'labels.txt' is outside the project folder {tmp_path} "
        f"(it resolves to {outside / 'secret.txt'})"
    )
    assert at(issues, "models[0].source").message == (
        f"'pkg' is outside the project folder {tmp_path} "
        f"({tmp_path / 'pkg' / 'data'} inside it links to {outside})"
    )


def test_the_opt_in_allows_listed_folders_only(
    write_project: WriteProject, issues_of: LoadIssues, tmp_path: Path
) -> None:
    outside = _outside(tmp_path)
    project = load_project(
        write_project(
            f"""
            allow_paths_outside_project: [../{outside.name}]
            models:
              - name: a
                kind: python
                source: {outside}/model.py
                files: {{labels.txt: {outside}/secret.txt}}
            """
        )
    )
    (plan,) = plan_models(project)
    assert plan.model_files == {"labels.txt": outside / "secret.txt"}
    issues = issues_of(
        f"""
        allow_paths_outside_project: [{outside}, nowhere]
        models:
          - {{name: a, kind: python, source: model.py, files: {{x.txt: /etc/hostname}}}}
        """
    )
    assert at(issues, "allow_paths_outside_project[1]").message.startswith("'nowhere' is not")
    assert "outside the project" in at(issues, "models[0].files['x.txt']").message


def test_a_templates_folder_is_an_input_too(issues_of: LoadIssues, tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    issues = issues_of(
        f"""
        templates: {outside}
        models:
          - {{name: a, kind: python, source: model.py}}
        """
    )
    assert "outside the project" in at(issues, "templates").message


def test_render_refuses_a_file_outside_the_project(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("", encoding="utf-8")
    project = tmp_path / "tritonops.yaml"
    project.write_text(
        textwrap.dedent(
            """
            models:
              - {name: a, kind: python, source: model.py, files: {labels.txt: /etc/passwd}}
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "repo"
    result = CliRunner().invoke(cli, ["render", "-f", str(project), "--out", str(out)])
    assert result.exit_code != 0
    assert "'/etc/passwd' is outside the project folder" in result.output
    assert "tritonops.yaml:3:" in result.output
    assert "allow_paths_outside_project" in result.output
    assert not out.exists()
