"""deploy --target remote through the CLI, against a second embedded Triton acting as the remote."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.server import LocalTriton

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[LocalTriton]:
    empty = tmp_path / "remote-repo"
    empty.mkdir()
    with LocalTriton(empty, log_file=tmp_path / "remote.log") as server:
        yield server


def _built_tour(tmp_path: Path) -> Path:
    """A copy of examples/tour, built: deploy serves what the build store holds."""
    project = tmp_path / "tour"
    shutil.copytree(ROOT / "examples" / "tour", project)
    built = CliRunner().invoke(cli, ["build", "-f", str(project / "tritonops.yaml")])
    assert built.exit_code == 0, built.output
    return project


def test_remote_deploy_then_redeploy_is_a_no_op(tmp_path: Path, remote: LocalTriton) -> None:
    project = _built_tour(tmp_path)
    runner = CliRunner()
    args = ["deploy", "-f", str(project / "tritonops.yaml"), "--target", "remote"]
    args += ["--url", f"http://{remote.http_url}", "--model", "classifier,preprocess"]
    args += ["--header", "X-Token=s3cret-value"]

    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert remote.model_ready("classifier")
    assert remote.model_ready("preprocess")
    assert "s3cret-value" not in first.output

    again = runner.invoke(cli, [*args, "--dry-run"])
    assert again.exit_code == 0, again.output
    assert "skip" in again.output
    history = (project / ".tritonops" / "history.jsonl").read_text()
    assert '"target": "remote"' in history
    assert "s3cret-value" not in history


def test_remote_without_a_url_says_how_to_name_one(tmp_path: Path) -> None:
    project = tmp_path / "tour"
    shutil.copytree(ROOT / "examples" / "tour", project)
    result = CliRunner().invoke(
        cli, ["deploy", "-f", str(project / "tritonops.yaml"), "--target", "remote"]
    )
    assert result.exit_code == 1
    assert "--url" in result.output


def test_the_readme_grpc_header_example_deploys(tmp_path: Path, remote: LocalTriton) -> None:
    project = _built_tour(tmp_path)
    args = ["deploy", "-f", str(project / "tritonops.yaml"), "--target", "remote"]
    args += ["--url", remote.grpc_url, "--model", "preprocess"]
    args += ["--header", "Authorization=Bearer s3cret-token"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert remote.model_ready("preprocess")
    assert "s3cret-token" not in result.output


def test_credentials_in_the_url_are_never_printed_or_recorded(tmp_path: Path) -> None:
    project = _built_tour(tmp_path)
    args = ["deploy", "-f", str(project / "tritonops.yaml"), "--target", "remote"]
    args += ["--url", "http://deployer:hunter2-pw@127.0.0.1:9", "--model", "preprocess"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "deployer:***@127.0.0.1:9" in result.output
    assert "hunter2-pw" not in result.output
    history = (project / ".tritonops" / "history.jsonl").read_text()
    assert "deployer:***@" in history
    assert "hunter2-pw" not in history


def test_a_bare_http_port_is_named_with_the_url_to_write(remote: LocalTriton) -> None:
    """A bare HOST:PORT means gRPC in every command; an HTTP port given so is caught before
    anything is rendered or sent, with the --url that works."""
    args = ["deploy", "--target", "remote", "--url", remote.http_url]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert f"use --url http://{remote.http_url}" in result.output
    old = CliRunner().invoke(cli, [*args, "--protocol", "http", "-f", "absent.yaml"])
    assert "--protocol is deprecated" in old.output
    assert "HTTP port" not in old.output  # the old spelling still selects HTTP
