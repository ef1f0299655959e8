"""``--header`` (and ``$TRITONOPS_HEADERS``) on ab-test, perf run and perf tune: handed to the
library call, never echoed. The calls are stubbed; the integration tier sends them for real."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tritonops.cli.abtest as abtest_cli
import tritonops.cli.perf as perf_cli
from tritonops.cli.main import cli
from tritonops.errors import ExperimentError, PerfError

SECRET = "Bearer s3cret"
EXPECTED = {"Authorization": SECRET, "X-Team": "ml"}
ENV = {"TRITONOPS_HEADERS": f"Authorization={SECRET}\nX-Team=ml"}


@contextlib.contextmanager
def _no_server(url: str | None, project_file: Path, model: str) -> Iterator[tuple[str, None]]:
    yield "127.0.0.1:1", None


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What each stubbed library call was given; the measuring calls stop the command."""
    found: dict[str, Any] = {}

    def stop(what: str, value: Any, error: type[Exception]) -> Any:
        found[what] = value
        raise error(f"stopped after {what}")

    def llm_config(target: str, model: str, headers: dict[str, str]) -> None:
        found["perf llm check"] = headers

    def llm_experiment(name: str, path: Path, url: str, headers: dict[str, str]) -> None:
        found["ab-test llm check"] = headers

    monkeypatch.setattr(perf_cli, "_server", _no_server)
    monkeypatch.setattr(perf_cli, "_llm_config", llm_config)
    monkeypatch.setattr(
        perf_cli, "measure", lambda spec, **kw: stop("run", spec.headers, PerfError)
    )
    monkeypatch.setattr(
        perf_cli, "fetch_config", lambda endpoint, model: stop("tune", endpoint.headers, PerfError)
    )
    monkeypatch.setattr(abtest_cli, "resolve_url", lambda url, protocol, path: ("h:1", "grpc"))
    monkeypatch.setattr(abtest_cli, "llm_experiment", llm_experiment)
    monkeypatch.setattr(
        abtest_cli,
        "run_experiment",
        lambda name, **kw: stop("ab-test", kw["headers"], ExperimentError),
    )
    return found


@pytest.mark.parametrize(
    ("argv", "what"),
    [
        (["perf", "run", "m"], "run"),
        (["perf", "tune", "m"], "tune"),
        (["tune", "m"], "tune"),  # the old name, one release
        (["ab-test", "exp", "--url", "h:1"], "ab-test"),
    ],
)
def test_headers_from_the_envvar_or_flags_reach_the_call_and_are_never_shown(
    seen: dict[str, Any], argv: list[str], what: str
) -> None:
    from_env = CliRunner().invoke(cli, argv, env=ENV)
    assert from_env.exit_code == 1, from_env.output
    assert seen[what] == EXPECTED
    # the config read that picks the LLM path is asked with them too
    assert seen.get("perf llm check", seen.get("ab-test llm check", EXPECTED)) == EXPECTED
    assert "s3cret" not in from_env.output
    seen.clear()
    flags = ["--header", f"Authorization={SECRET}", "--header", "X-Team=ml"]
    from_flags = CliRunner().invoke(cli, [*argv, *flags])
    assert seen[what] == EXPECTED
    assert "s3cret" not in from_flags.output


def test_a_header_with_a_line_break_is_a_usage_error_not_sent(seen: dict[str, Any]) -> None:
    done = CliRunner().invoke(cli, ["perf", "run", "m", "--header", "X=a\rb"])
    assert done.exit_code == 2
    assert "line break" in done.output
    assert seen == {}
