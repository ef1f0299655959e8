"""Credentials in URLs are masked everywhere; headers are checked once and sent as gRPC allows."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.errors import DeployError, SpecError
from tritonops.headers import grpc_metadata, header_problem
from tritonops.redact import redact_url, scrub, url_secrets
from tritonops.spec import load_project
from tritonops.triton.remote import RemoteClient


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@host:8000", "http://user:***@host:8000"),
        ("https://token@host/v2?x=1", "https://***@host/v2?x=1"),
        ("user:p@ss:w@host:8001", "user:***@host:8001"),
        ("grpc://host:8001", "grpc://host:8001"),
        ("127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://host:8000/path@x", "http://host:8000/path@x"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_masks_every_secret_of_the_url() -> None:
    url = "http://user:p@ss:w@host:1"
    assert url_secrets(url) == ["p@ss:w"]
    assert scrub(f"failed: {url} said p@ss:w", url_secrets(url)) == (
        "failed: http://user:***@host:1 said ***"
    )


@pytest.mark.parametrize("value", ["Bearer x\r\nX-Evil: 1", "zq9\n", "a\0zq8"])
def test_a_header_value_with_a_line_break_is_refused_without_showing_it(value: str) -> None:
    problem = header_problem("Authorization", value)
    assert problem is not None
    assert "'Authorization'" in problem
    assert value.strip() not in problem


def test_header_names_are_tokens_and_grpc_keys_lower_case() -> None:
    assert header_problem("X Token", "v") is not None
    assert header_problem("", "v") is not None
    assert header_problem("X-Token", "Bearer a=b") is None
    assert grpc_metadata({"Authorization": "Bearer t"}) == {"authorization": "Bearer t"}


def test_the_deploy_client_lower_cases_grpc_metadata_and_masks_the_url() -> None:
    client = RemoteClient(
        "grpc://u:pw-123@127.0.0.1:9", protocol="grpc", headers={"Authorization": "Bearer t"}
    )
    assert client.url == "grpc://u:***@127.0.0.1:9"
    assert client._call_args()["headers"] == {"authorization": "Bearer t"}
    assert client.scrub("x pw-123 Bearer t") == "x *** ***"
    with pytest.raises(DeployError, match="'X-Token' contains a line break"):
        RemoteClient("h:1", headers={"X-Token": "a\r\nb"})


def test_an_unreachable_url_error_shows_no_password() -> None:
    with (
        RemoteClient("http://u:pw-456@127.0.0.1:9", timeout_s=5) as client,
        pytest.raises(DeployError) as caught,
    ):
        client.check_live()
    assert "u:***@127.0.0.1:9" in str(caught.value)
    assert "pw-456" not in str(caught.value)


def test_cli_refuses_a_header_with_a_line_break(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("", encoding="utf-8")
    project = tmp_path / "tritonops.yaml"
    project.write_text("models: [{name: a, kind: python, source: model.py}]\n", encoding="utf-8")
    args = ["deploy", "-f", str(project), "--target", "remote", "--url", "127.0.0.1:9"]
    result = CliRunner().invoke(cli, [*args, "--header", "X-Token=abc\r\nX-Evil: 1"])
    assert result.exit_code == 2, result.output
    assert "--header" in result.output
    assert "'X-Token'" in result.output
    assert "X-Evil" not in result.output
    assert "Traceback" not in result.output


def test_project_file_headers_are_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("", encoding="utf-8")
    project = tmp_path / "tritonops.yaml"
    project.write_text(
        "models: [{name: a, kind: python, source: model.py}]\n"
        "targets:\n"
        "  remote:\n"
        "    url: 127.0.0.1:9\n"
        '    headers: {X-Token: "abc\\r\\nX-Evil: 1"}\n',
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as caught:
        load_project(project)
    (issue,) = caught.value.issues
    assert issue.path == "targets.remote.headers"
    assert issue.line == 5
    assert "'X-Token' contains a line break" in issue.message
