"""An unstable level is kept and reported with its windows; every flag a perf/tune hint names
is one the CLI really has."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import tritonops.perf.engine as engine_module
from tritonops.cli.perf import perf_group, tune_command
from tritonops.model_config import ModelConfig
from tritonops.perf.analyzer import EmptyWindow, UnstableLevel, parse_passes
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.perf.result_files import markdown
from tritonops.perf.results import Latency, LevelResult, PerfResult, WindowSeen

# what perf_analyzer 2.50 printed here with -v when a level never settled
UNSTABLE_OUTPUT = """\
Request concurrency: 1
  Pass [1] throughput: 1392.85 infer/sec. p99 latency: 1569 usec
  Pass [2] throughput: 1460.53 infer/sec. p99 latency: 1231 usec
  Pass [3] throughput: 1611.17 infer/sec. p99 latency: 819 usec

Failed to obtain stable measurement within 3 measurement windows for concurrency 1. \
Please try to increase the --measurement-interval.
"""


def test_windows_are_read_from_perf_analyzers_verbose_output() -> None:
    seen = parse_passes(UNSTABLE_OUTPUT)
    assert seen == [
        WindowSeen(1392.85, 1569.0, "p99"),
        WindowSeen(1460.53, 1231.0, "p99"),
        WindowSeen(1611.17, 819.0, "p99"),
    ]
    avg = parse_passes("  Pass [1] throughput: 10.5 infer/sec. Avg latency: 9790 usec (std 1 usec)")
    assert avg == [WindowSeen(10.5, 9790.0, "avg")]


def test_levels_measured_around_an_unstable_one_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_analyzer_level(
        spec: MeasureSpec, endpoint: object, config: ModelConfig, load: float
    ) -> LevelResult:
        if load == 4:
            raise UnstableLevel("no stable measurement", parse_passes(UNSTABLE_OUTPUT))
        if load == 16:
            raise EmptyWindow("no request finished inside a window")
        return LevelResult(load, 100 * load, Latency(1, 2, 3, 4, 2))

    monkeypatch.setattr(engine_module, "_analyzer_level", fake_analyzer_level)
    spec = MeasureSpec(model="m", url="h:1", concurrency=(1, 2, 4, 8, 16), engine="perf_analyzer")
    result = measure(spec, config=ModelConfig(name="m", max_batch_size=8))
    assert [lv.load for lv in result.levels] == [1, 2, 4, 8, 16]
    assert [lv.stable for lv in result.levels] == [True, True, False, True, False]
    assert any("load 16 was not measured" in n for n in result.notes)
    unstable = result.levels[2]
    assert len(unstable.windows) == 3
    assert unstable.latency.p99_us == 1569.0
    assert any("load 4 was unstable" in n for n in result.notes)
    table = markdown(result)
    assert "unstable: 3 window(s), p99 latency per window" in table
    assert "1393 infer/s 1.57 ms" in table


def test_a_run_that_measured_no_level_exits_1_after_its_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every level stalled (perf_analyzer saw no request finish): the report says why at each
    level, and the command fails instead of presenting empty rows as a measurement."""
    import tritonops.cli.perf as perf_cli

    stalled = [engine_module.unstable_level(load, []) for load in (1, 2)]
    result = PerfResult("m", "perf_analyzer", "h:1", "grpc", "concurrency", levels=stalled)
    result.notes.extend(["load 1 was not measured: stalled", "load 2 was not measured: stalled"])
    monkeypatch.setattr(perf_cli, "check_url", lambda url: None)
    monkeypatch.setattr(perf_cli, "_llm_config", lambda *args: None)
    monkeypatch.setattr(perf_cli, "measure", lambda spec, **kwargs: result)
    args = ["run", "m", "--url", "h:1", "--concurrency", "1,2", "--report", str(tmp_path)]
    run = CliRunner().invoke(perf_group, args)
    assert run.exit_code == 1, run.output
    assert "no load level of 'm' was measured" in run.output
    assert (tmp_path / "result.json").exists()  # the report is still written
    assert result.unmeasured() == [1, 2]

    measured = [LevelResult(1, 5.0, Latency(1, 2, 3, 4, 2)), stalled[1]]
    monkeypatch.setattr(perf_cli, "measure", lambda spec, **kwargs: PerfResult(
        "m", "perf_analyzer", "h:1", "grpc", "concurrency", levels=measured))  # fmt: skip
    assert CliRunner().invoke(perf_group, args).exit_code == 0


def test_an_unstable_level_survives_the_json_round_trip(tmp_path: Path) -> None:
    level = LevelResult(4, 10.0, Latency(1, 2, 3, 4, 5), stable=False, windows=[WindowSeen(1, 2)])
    result = PerfResult("m", "perf_analyzer", "h:1", "grpc", "concurrency", levels=[level])
    assert PerfResult.load(result.save(tmp_path / "r.json")) == result


def _hint_strings() -> list[str]:
    """String pieces of every raise, note and hint in perf's code and its CLI."""
    src = Path(engine_module.__file__).parent
    files = [*src.glob("*.py"), src.parent / "cli" / "perf.py"]
    found: list[str] = []
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            hinted = isinstance(node, ast.Raise) or (
                isinstance(node, ast.FunctionDef) and "hint" in node.name
            )
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                hinted = hinted or (
                    node.func.attr in ("append", "echo") and "note" in ast.unparse(node)
                )
            if hinted:
                found += [
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                ]
    return found


def test_every_flag_a_hint_names_exists_in_the_cli() -> None:
    runner = CliRunner()
    helps = "".join(
        runner.invoke(group, [*args, "--help"]).output
        for group, args in (
            (perf_group, ["run"]),
            (perf_group, ["compare"]),
            (tune_command, []),
        )
    )
    flags = {f for text in _hint_strings() for f in re.findall(r"--[a-z][a-z0-9-]+", text)}
    assert "--interval" in flags  # the scan does see the hints
    assert "--stability-percentage" in flags
    missing = sorted(f for f in flags if f not in helps)
    assert missing == [], f"hints name flags the CLI does not have: {missing}"
