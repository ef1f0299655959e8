"""One console per command: bar frames never glue to messages; -q/--quiet silences the bar and
the per-item lines of every long command; the end of each says where its report is.

The commands' library calls are replaced by fakes (named ``fake_*``) that drive the same
callbacks the real ones do; the server-backed runs are covered by tests/integration and journeys.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from tritonops.cli import output
from tritonops.cli.main import cli
from tritonops.cli.progress import progress
from tritonops.errors import PerfError
from tritonops.repository.validate.report import LoadResult

BAR = "━"


def _terminal(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=100, highlight=False)


def _visible_lines(raw: str) -> list[str]:
    """What stays in the scroll-back, roughly: the text between line breaks, codes stripped."""
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", raw)
    return [line for line in plain.replace("\r", "\n").split("\n") if line.strip()]


def test_messages_printed_during_a_bar_never_share_a_line_with_a_frame() -> None:
    buffer = io.StringIO()
    out = _terminal(buffer)
    with progress(out, "build", 3) as feedback:
        for model in ("scale", "digits", "pipeline"):
            feedback.step(f"{model} built")
            feedback.say(f"  {model}: built")
    lines = _visible_lines(buffer.getvalue())
    said = [line for line in lines if ": built" in line and line.strip().startswith(("scale",
            "digits", "pipeline"))]  # fmt: skip
    assert len(said) == 3, lines
    assert all(BAR not in line and "/3" not in line for line in said), said
    assert any(BAR in line for line in lines)  # the bar was drawn: the check above can fail


def test_a_second_console_on_the_same_terminal_does_glue_frames_to_messages() -> None:
    """Why one console: the bug this module's design prevents, reproduced."""
    buffer = io.StringIO()
    bar_console, other = _terminal(buffer), _terminal(buffer)
    with progress(bar_console, "build", 3) as feedback:
        feedback.step("scale built")
        other.print("  scale: built")
    assert any(BAR in line and "scale: built" in line for line in buffer.getvalue().split("\n"))


def test_quiet_and_no_terminal_draw_no_bar() -> None:
    for out, quiet in ((_terminal(io.StringIO()), True),
                       (Console(file=io.StringIO(), force_terminal=False), False)):  # fmt: skip
        with progress(out, "build", 3, quiet=quiet) as feedback:
            feedback.step("scale built")
            feedback.say("  scale: built")
        text = out.file.getvalue()  # type: ignore[attr-defined]
        assert BAR not in text
        assert ("scale: built" in text) is not quiet


# -- every long command takes -q/--quiet ------------------------------------------------------

LONG = {
    ("build",): "build_command",
    ("validate",): "validate_command",
    ("deploy",): "deploy_command",
    ("ab-test",): "ab_test_command",
    ("perf", "run"): "perf_command",
    ("perf", "tune"): "tune_command",
}


def _command(path: tuple[str, ...]) -> Any:
    command: Any = cli
    ctx = cli.make_context("tritonops", ["--help"], resilient_parsing=True)
    for name in path:
        command = command.get_command(ctx, name)
    return command


@pytest.mark.parametrize("path", list(LONG))
def test_every_long_command_has_quiet(path: tuple[str, ...]) -> None:
    flags = {opt for p in _command(path).params for opt in p.opts}
    assert {"-q", "--quiet"} <= flags


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands believe stdout is a terminal, so a bar would be drawn into CliRunner's output."""
    monkeypatch.setattr(output, "interactive", lambda stderr=False: True)


def _runs(args: list[str]) -> tuple[str, str]:
    """(output without --quiet, output with it)."""
    loud = CliRunner().invoke(cli, args)
    quiet = CliRunner().invoke(cli, [*args, "--quiet"])
    return loud.output, quiet.output


def _fake_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    from tritonops.cli import build

    project = tmp_path / "tritonops.yaml"
    monkeypatch.setattr(build, "load_project", lambda _f: SimpleNamespace(models=[1, 2]))

    def fake_build_project(_f: Path, *, on_event: Any, **_kw: Any) -> Any:
        for model in ("scale", "digits"):
            on_event(model, "building")
            on_event(model, "built")
        return SimpleNamespace(notes=(), built=["scale", "digits"], repository_state="written",
                               repository=tmp_path / "model_repository")  # fmt: skip

    monkeypatch.setattr(build, "build_project", fake_build_project)
    return project


@pytest.mark.usefixtures("at_a_terminal")
def test_build_quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project = _fake_build(monkeypatch, tmp_path)
    loud, quiet = _runs(["build", "-f", str(project)])
    assert BAR in loud
    assert "scale: built" in loud
    assert BAR not in quiet
    assert "scale: built" not in quiet
    assert f"repository written: {tmp_path / 'model_repository'}" in quiet


@pytest.mark.usefixtures("at_a_terminal")
def test_validate_load_quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tritonops.cli import validate
    from tritonops.repository.validate import validate_repository

    (tmp_path / "repo").mkdir()

    def fake_validate_with_load(repo: Path, *, on_result: Any, **_kw: Any) -> Any:
        on_result(LoadResult("m", "1", "READY", 1.0))
        return validate_repository(repo)

    monkeypatch.setattr(validate, "validate_with_load", fake_validate_with_load)
    # the bar goes to stderr (stdout is the report); CliRunner mixes both into .output
    loud, quiet = _runs(["validate", str(tmp_path / "repo"), "--load", "-o", str(tmp_path / "r")])
    assert BAR in loud
    assert BAR not in quiet
    assert f"report: {tmp_path / 'r'}" in quiet


@pytest.mark.usefixtures("at_a_terminal")
def test_deploy_remote_quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tritonops.cli import deploy

    monkeypatch.setattr(deploy, "load_project",
                        lambda _f: SimpleNamespace(targets=SimpleNamespace(remote=None),
                                                   root=tmp_path))  # fmt: skip
    monkeypatch.setattr(deploy, "render_project",
                        lambda _f: SimpleNamespace(repository=tmp_path))  # fmt: skip

    def fake_deploy_remote(_repo: Path, _options: Any, *, on_step: Any, **_kw: Any) -> Any:
        on_step("m", "loading v2")
        return SimpleNamespace(describe=lambda: "remote deploy to x: success")

    monkeypatch.setattr(deploy, "deploy_remote", fake_deploy_remote)
    loud, quiet = _runs(["deploy", "--target", "remote", "--url", "127.0.0.1:1"])
    assert BAR in loud
    assert "m: loading v2" in loud
    assert BAR not in quiet
    assert "m: loading v2" not in quiet
    assert "remote deploy to x: success" in quiet
    assert "deploy record:" in quiet


@pytest.mark.usefixtures("at_a_terminal")
def test_ab_test_quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tritonops.cli import abtest

    monkeypatch.setattr(abtest, "resolve_url", lambda url, protocol, _f: (url, protocol))

    def fake_run_experiment(_name: str, *, on_sample: Any, **_kw: Any) -> Any:
        for _ in range(5):
            on_sample(SimpleNamespace(variant="control"))
        report = SimpleNamespace(arms=[], shadow=None)
        return SimpleNamespace(report=report, verdicts={}, files={}, exit_code=0)

    monkeypatch.setattr(abtest, "run_experiment", fake_run_experiment)
    loud, quiet = _runs(["ab-test", "exp", "--url", "127.0.0.1:1", "--requests", "5"])
    assert BAR in loud
    assert BAR not in quiet
    assert "report: none written (pass --report DIR to write one)" in quiet


@contextlib.contextmanager
def fake_server(*_args: Any) -> Iterator[tuple[str, None]]:
    yield "127.0.0.1:1", None


@pytest.mark.usefixtures("at_a_terminal")
def test_perf_run_shows_levels_unless_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    from tritonops.cli import perf
    from tritonops.perf.results import Latency, LevelResult, PerfResult

    monkeypatch.setattr(perf, "_server", fake_server)

    def fake_measure(spec: Any, *, on_level_start: Any, on_level: Any) -> PerfResult:
        result = PerfResult("m", "builtin", spec.url, "grpc", "concurrency")
        for load in spec.concurrency:
            on_level_start(float(load))
            level = LevelResult(float(load), 100.0 * load, Latency(1, 2, 3, 4000, 1))
            result.levels.append(level)
            on_level(level)
        return result

    monkeypatch.setattr(perf, "measure", fake_measure)
    loud, quiet = _runs(["perf", "run", "m", "--concurrency", "1,2"])
    assert BAR in loud
    assert "concurrency 2: 200 infer/s, p99 4.00 ms" in loud
    assert BAR not in quiet
    assert "concurrency 2: 200 infer/s" not in quiet
    assert "report: none written (pass --report DIR to write one)" in quiet


@pytest.mark.usefixtures("at_a_terminal")
def test_tune_quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tritonops.cli import perf
    from tritonops.perf.candidates import Candidate
    from tritonops.perf.tune import Trial

    candidate = Candidate(max_batch_size=8, dynamic_batching=True)
    monkeypatch.setattr(perf, "_server", fake_server)
    monkeypatch.setattr(perf, "fetch_config", lambda *_a: "config")
    monkeypatch.setattr(perf, "load_with_config", lambda *_a: None)
    monkeypatch.setattr(perf, "live_measurer", lambda *_a, **_k: (None, "builtin"))

    def fake_tune(_config: Any, _measurer: Any, *, on_trial: Any, **_kw: Any) -> Any:
        on_trial(Trial(candidate, 4, 1, 100.0, 2000.0))
        raise PerfError("stop here")  # the result lines are tested in tests/unit/perf

    monkeypatch.setattr(perf, "tune", fake_tune)
    args = ["perf", "tune", "m", "-f", str(tmp_path / "none.yaml"), "--budget", "12"]
    loud, quiet = _runs(args)
    assert BAR in loud
    assert "[search] c=4" in loud
    assert BAR not in quiet
    assert "[search] c=4" not in quiet
