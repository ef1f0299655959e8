"""Both engines, reports and the tuner against a real embedded Triton."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.errors import PerfError
from tritonops.perf.analyzer import ready_analyzer
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.perf.result_files import write_report
from tritonops.perf.tune import SearchSpace, tune
from tritonops.perf.tune_live import live_measurer
from tritonops.server import LocalTriton
from tritonops.triton.endpoint import fetch_config, parse_url

from ..catalogue import FAILS_WITH


@pytest.fixture
def server(catalogue_server: LocalTriton) -> LocalTriton:
    """add, overhead and stream are the catalogue's."""
    return catalogue_server


def _analyzer_reason() -> str | None:
    try:
        ready_analyzer()
    except PerfError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("engine", ["builtin", "perf_analyzer"])
def test_engine_measures_and_reports(server: LocalTriton, engine: str, tmp_path: Path) -> None:
    if engine == "perf_analyzer" and (reason := _analyzer_reason()):
        pytest.skip(f"perf_analyzer cannot run here: {reason}")
    spec = MeasureSpec(
        model="add",
        url=server.grpc_url,
        concurrency=(1, 2),
        measurement_interval_ms=300,
        stability_percentage=50,
        engine=engine,  # type: ignore[arg-type]
        metrics_url=server.metrics_url,
    )
    result = measure(spec)
    assert result.engine == engine
    assert [lv.load for lv in result.levels] == [1, 2]
    assert all(lv.throughput > 0 and lv.server is not None for lv in result.levels)
    assert all(lv.metrics["request_success"] > 0 for lv in result.levels)
    files = write_report(result, tmp_path)
    assert files["png"].read_bytes()[:4] == b"\x89PNG"
    assert "| 2 |" in files["markdown"].read_text()


@pytest.mark.parametrize("engine", ["builtin", "perf_analyzer"])
def test_a_model_that_fails_every_request_is_an_error_not_a_report(
    server: LocalTriton, engine: str
) -> None:
    """perf_analyzer stops at the first failed request; either engine's run then exits 1 with
    the model's own error, not a table of empty levels and a hint to raise --interval."""
    if engine == "perf_analyzer" and (reason := _analyzer_reason()):
        pytest.skip(f"perf_analyzer cannot run here: {reason}")
    url = f"http://{server.http_url}"
    args = ["perf", "run", "fails", "--url", url, "--engine", engine,
            "--concurrency", "1,2", "--interval", "300ms"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "requests failed at load 1" in result.output or "every request failed at load 1" in (
        result.output
    )
    assert FAILS_WITH in result.output
    assert "--interval" not in result.output
    assert "Traceback" not in result.output


def test_builtin_over_http(server: LocalTriton) -> None:
    spec = MeasureSpec(
        model="add",
        url=f"http://{server.http_url}",
        rates=(100,),
        measurement_interval_ms=200,
        engine="builtin",
    )
    level = measure(spec).levels[0]
    assert level.errors == 0
    assert level.requests > 0


def test_tune_finds_batching(server: LocalTriton) -> None:
    config = fetch_config(parse_url(server.grpc_url), "overhead")
    assert config.dynamic_batching is None
    space = SearchSpace(max_batch_size=(8,), queue_delay_us=(0,), instances=(1,))
    measurer, _engine = live_measurer(server.grpc_url, config, window_ms=200)
    result = tune(config, measurer, budget=12, concurrency=8, levels=(8,), space=space)
    assert result.best is not None
    assert result.best.dynamic_batching
    assert result.best.max_batch_size == 8


def test_tune_with_an_slo_nothing_meets_exits_non_zero_and_names_no_best(
    server: LocalTriton, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from tritonops.cli.perf import NO_PICK_EXIT, tune_command

    before = fetch_config(parse_url(server.grpc_url), "overhead")
    argv = ["overhead", "--url", server.grpc_url, "-f", str(tmp_path / "none.yaml")]
    argv += ["--slo-p99", "0.001", "--budget", "10", "--concurrency", "2", "--interval", "150ms"]
    result = CliRunner().invoke(tune_command, argv)
    assert result.exit_code == NO_PICK_EXIT, result.output
    assert "no configuration meets p99 <= 0.001 ms" in result.output
    assert "closest:" in result.output
    assert "best" not in result.output.lower()
    # the server serves the config it had before tuning
    after = fetch_config(parse_url(server.grpc_url), "overhead")
    assert after.dynamic_batching == before.dynamic_batching
    assert after.max_batch_size == before.max_batch_size
    assert after.instance_group == before.instance_group


def test_perf_keeps_every_level_when_one_is_unstable(server: LocalTriton) -> None:
    if reason := _analyzer_reason():
        pytest.skip(f"perf_analyzer cannot run here: {reason}")
    # a tolerance no real window meets: every level is unstable, none is thrown away
    spec = MeasureSpec(
        model="add",
        url=server.grpc_url,
        concurrency=(1, 2),
        measurement_interval_ms=100,
        stability_percentage=0.0001,
        max_trials=3,
        engine="perf_analyzer",
    )
    result = measure(spec)
    assert [lv.load for lv in result.levels] == [1, 2]
    assert all(not lv.stable for lv in result.levels)
    assert all(len(lv.windows) == 3 and lv.windows[0].throughput > 0 for lv in result.levels)
    assert any("--stability-percentage" in note for note in result.notes)


def test_the_probe_tells_the_http_port_from_the_grpc_port(server: LocalTriton) -> None:
    from tritonops.cli.perf import check_url
    from tritonops.triton.probe import probe

    assert probe(server.http_url) == "http"
    assert probe(server.grpc_url) == "grpc"
    with pytest.raises(PerfError, match=f"Triton's HTTP port.*--url http://{server.http_url}"):
        check_url(server.http_url)
    with pytest.raises(PerfError, match="Triton's gRPC port"):
        check_url(f"http://{server.grpc_url}")


def test_decoupled_stream_metrics(server: LocalTriton) -> None:
    import numpy as np

    from tritonops.perf.decoupled import measure_stream

    # each response takes >= 2 ms (a sleep in the model)
    config = fetch_config(parse_url(server.grpc_url), "stream")
    stats = measure_stream(
        server.grpc_url, config, {"n": np.array([5], dtype=np.int32)}, requests=4, timeout_s=30
    )
    assert stats.requests == 4
    assert stats.per_request == (5, 5, 5, 5)
    assert stats.responses == 20
    # one time-to-first-response per request, four gaps per request; the model sleeps 2 ms before
    # each response, so neither can be shorter than that
    assert stats.ttft_p50_ms >= 2.0
    assert stats.ttft_p99_ms >= stats.ttft_p50_ms
    assert 2.0 <= stats.inter_response_p50_ms <= stats.inter_response_p99_ms
    assert stats.responses_per_s > 0


def test_perf_without_url_measures_the_server_serve_recorded(
    server: LocalTriton, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from tritonops.cli.main import cli
    from tritonops.server import endpoint_record

    repository = server.options.repository
    project = tmp_path / "tritonops.yaml"
    project.write_text(f"repository: {repository}\nmodels: []\n")
    argv = ["perf", "add", "-f", str(project), "--concurrency", "1", "--engine", "builtin"]
    with endpoint_record.recorded(repository, server):
        result = CliRunner().invoke(cli, [*argv, "--interval", "200ms"])
    assert result.exit_code == 0, result.output
    assert f"({server.grpc_url})" in result.output
