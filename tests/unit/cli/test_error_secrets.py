"""Errors never print what the user gave as a secret: URL credentials and --header values."""

from __future__ import annotations

import click
from click.testing import CliRunner

from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.errors import ClientError


def _failing_command() -> click.Command:
    @click.command("probe", cls=TritonOpsCommand)
    @options.url("where")
    @options.headers()
    @click.option("--only", type=options.CommaList(click.STRING), default=())
    def probe(
        url: options.ServerUrl | None, headers: tuple[tuple[str, str], ...], only: object
    ) -> None:
        # a client library quoting what it was given, as tritonclient and urllib do
        raise ClientError(f"cannot reach {url} with {dict(headers)}; models {only}")

    return probe


def test_url_credentials_and_header_values_are_masked_in_the_error() -> None:
    result = CliRunner().invoke(
        _failing_command(),
        ["--url", "http://alice:s3cret@127.0.0.1:9", "--header", "Authorization=Bearer tok3n"],
    )
    assert result.exit_code == 1
    assert "s3cret" not in result.output
    assert "tok3n" not in result.output
    assert "alice:***@127.0.0.1:9" in result.output
    assert "Authorization" in result.output  # the header's name is not a secret


def test_other_options_are_shown_as_given() -> None:
    # a list option's items are not secrets, even two short ones
    result = CliRunner().invoke(_failing_command(), ["--only", "a,b"])
    assert result.exit_code == 1
    assert "'a'" in result.output
    assert "'b'" in result.output
