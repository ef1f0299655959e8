"""The validate command: options, output, exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from repo_builder import PY_CONFIG, Repo

from tritonops.cli.validate import validate_command


def test_valid_repository_exits_0(tmp_path: Path) -> None:
    Repo(tmp_path / "repo").python("m")
    result = CliRunner().invoke(validate_command, [str(tmp_path / "repo")])
    assert result.exit_code == 0, result.output
    assert "1 model(s), 0 error(s), 0 warning(s): valid" in result.output


def test_warnings_only_exit_0(tmp_path: Path) -> None:
    Repo(tmp_path / "repo").files({"m/1/model.py": "x = 1\n"})
    result = CliRunner().invoke(validate_command, [str(tmp_path / "repo")])
    assert result.exit_code == 0
    assert "TRITON-L009" in result.output


def test_errors_exit_1_with_json(tmp_path: Path) -> None:
    Repo(tmp_path / "repo").python("m", PY_CONFIG.format(name="other"))
    result = CliRunner().invoke(validate_command, [str(tmp_path / "repo"), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [d["code"] for d in data["diagnostics"]] == ["TRITON-L006"]


def test_unreadable_path_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(validate_command, [str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "cannot read model repository" in result.output


def test_default_repository_and_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Repo(tmp_path / "model_repository").python("m")
    result = CliRunner().invoke(validate_command, ["--format", "junit", "--output", "report.xml"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.xml").read_text().startswith("<?xml")
    assert "valid" in result.output


def test_bad_format_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(validate_command, [str(tmp_path), "--format", "yaml"])
    assert result.exit_code == 2
