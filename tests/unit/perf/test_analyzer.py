"""perf_analyzer argv and CSV (captured from the real binary), inputs, metrics, compare, tune."""

from __future__ import annotations

from pathlib import Path

import pytest

from tritonops.errors import PerfError
from tritonops.model_config import DataType, ModelConfig, ModelInput, ModelOutput
from tritonops.perf.analyzer import AnalyzerOptions, Range, parse_csv
from tritonops.perf.compare import compare
from tritonops.perf.inputs import input_data_json
from tritonops.perf.results import Latency, LevelResult, PerfResult
from tritonops.perf.server_counters import delta, parse

FIXTURES = Path(__file__).parent / "fixtures"


def _argv(**kw: object) -> list[str]:
    base: dict[str, object] = {"model": "m", "url": "h:1", "concurrency": Range(1, 8, 2)}
    base.update(kw)
    return AnalyzerOptions(**base).argv("pa")  # type: ignore[arg-type]


def test_argv_load_families() -> None:
    assert _argv()[:7] == ["pa", "-m", "m", "-u", "h:1", "-i", "grpc"]
    assert "--concurrency-range" in _argv()
    assert "1:8:2" in _argv()
    rate = _argv(concurrency=None, request_rate=Range(100, 200, 50), request_distribution="poisson")
    assert rate[rate.index("--request-rate-range") + 1] == "100:200:50"
    assert rate[rate.index("--request-distribution") + 1] == "poisson"
    ivs = _argv(concurrency=None, request_intervals=Path("gaps.txt"))
    assert ivs[ivs.index("--request-intervals") + 1] == "gaps.txt"
    with pytest.raises(PerfError, match="exactly one"):
        _argv(request_rate=Range(5))


def test_argv_measurement_and_transport_families() -> None:
    a = _argv(
        measurement_mode="count_windows",
        measurement_request_count=500,
        measurement_interval_ms=2000,
        stability_percentage=15,
        percentile=95,
        batch_size=4,
        shared_memory="system",
        output_shared_memory_size=4096,
        async_mode=True,
        streaming=True,
        input_data="zero",
        csv_path=Path("o.csv"),
    )
    pairs = {a[i]: a[i + 1] for i in range(len(a) - 1)}
    assert pairs["--measurement-mode"] == "count_windows"
    assert pairs["--measurement-request-count"] == "500"
    assert pairs["--measurement-interval"] == "2000"
    assert pairs["--stability-percentage"] == "15"
    assert pairs["--percentile"] == "95"
    assert pairs["-b"] == "4"
    assert pairs["--shared-memory"] == "system"
    assert pairs["--output-shared-memory-size"] == "4096"
    assert pairs["--input-data"] == "zero"
    assert pairs["-f"] == "o.csv"
    assert {"--async", "--streaming", "--verbose-csv"} <= set(a)
    assert "--shared-memory" not in _argv()
    with pytest.raises(PerfError, match="gRPC"):
        _argv(protocol="http", streaming=True)


def test_csv_concurrency_sweep_sorted_by_load_with_server_columns() -> None:
    levels = parse_csv((FIXTURES / "concurrency_grpc_verbose.csv").read_text())
    assert [lv.load for lv in levels] == [1, 4, 7]
    first = levels[0]
    assert first.throughput == pytest.approx(2031.9)
    assert first.latency.p99_us == 659
    assert first.server is not None
    assert first.server.compute_infer_us == 147
    # no "Avg latency" column with --percentile: the stages' sum stands in
    assert first.latency.avg_us == 2 + 188 + 64 + 13 + 147 + 71 + 0


def test_csv_rate_and_batch_fixtures() -> None:
    rate = parse_csv((FIXTURES / "rate_http.csv").read_text())
    assert [lv.load for lv in rate] == [200, 400]
    batch = parse_csv((FIXTURES / "batch4_metrics.csv").read_text(), batch_size=4)
    assert batch[0].latency.avg_us == 726
    with pytest.raises(PerfError, match="header"):
        parse_csv("a,b\n1,2\n")


def _config() -> ModelConfig:
    return ModelConfig(
        name="m",
        max_batch_size=8,
        input=[
            ModelInput(name="f", data_type=DataType.TYPE_FP16, dims=[2, -1]),
            ModelInput(name="i", data_type=DataType.TYPE_INT64, dims=[3]),
            ModelInput(name="b", data_type=DataType.TYPE_BOOL, dims=[1]),
            ModelInput(name="s", data_type=DataType.TYPE_STRING, dims=[2]),
        ],
        output=[ModelOutput(name="y", data_type=DataType.TYPE_FP32, dims=[1])],
    )


def test_input_data_for_each_dtype_without_the_batch_dim() -> None:
    doc = input_data_json(_config(), count=3)
    assert len(doc["data"]) == 3
    entry = doc["data"][0]
    assert entry["f"]["shape"] == [2, 1]
    assert entry["i"]["shape"] == [3]
    assert all(isinstance(v, int) for v in entry["i"]["content"])
    assert all(isinstance(v, bool) for v in entry["b"]["content"])
    assert all(isinstance(v, str) for v in entry["s"]["content"])
    assert doc["data"][0]["s"] != doc["data"][1]["s"]
    zero = input_data_json(_config(), mode="zero", count=1)["data"][0]
    assert zero["i"]["content"] == [0, 0, 0]


def test_input_data_from_a_dataset() -> None:
    import numpy as np

    config = _config().model_copy(update={"input": _config().input[1:2]})
    doc = input_data_json(config, dataset={"i": np.arange(6).reshape(2, 3)})
    assert [e["i"]["content"] for e in doc["data"]] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(PerfError, match="no column"):
        input_data_json(config, dataset={"x": np.zeros((1, 3))})


def test_metrics_from_a_captured_page() -> None:
    text = (FIXTURES / "metrics_cpu.txt").read_text()
    snap = parse(text)
    assert snap.models["add"].success == 67667
    bumped = text.replace(
        'nv_inference_request_success{model="add",version="1"} 67667',
        'nv_inference_request_success{model="add",version="1"} 67767',
    ).replace(
        'nv_inference_queue_duration_us{model="add",version="1"} 13765099',
        'nv_inference_queue_duration_us{model="add",version="1"} 13775099',
    )
    d = delta(snap, parse(bumped), "add")
    assert d.success == 100
    assert d.server is not None
    assert d.server.queue_us == pytest.approx(100.0)
    assert "nv_cpu_utilization" in d.gauges
    with pytest.raises(PerfError):
        parse("not { prometheus")


def _result(tput: float, p99: float) -> PerfResult:
    lat = Latency(p99 / 2, p99, p99, p99, p99 / 2)
    return PerfResult(
        "m", "builtin", "h:1", "grpc", "concurrency", levels=[LevelResult(4, tput, lat)]
    )


def test_compare_flags_regressions_and_passes_a_to_a() -> None:
    base = _result(1000, 2000)
    assert not compare(base, _result(1000, 2000)).regressed
    assert not compare(base, _result(960, 2150)).regressed
    slower = compare(base, _result(900, 2000))
    assert slower.regressed
    assert "throughput" in slower.regressions[0]
    assert compare(base, _result(1000, 2300)).regressed
    assert not compare(base, _result(900, 2000), max_throughput_drop=0.2).regressed


def test_results_round_trip_json(tmp_path: Path) -> None:
    r = _result(1000, 2000)
    assert PerfResult.load(r.save(tmp_path / "r.json")) == r
    with pytest.raises(PerfError, match="not a tritonops perf result"):
        PerfResult.load(tmp_path)


def test_perf_compare_command_exits_1_on_regression(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tritonops.cli.perf import perf_group

    base = _result(1000, 2000).save(tmp_path / "base.json")
    same = _result(1000, 2000).save(tmp_path / "same.json")
    worse = _result(800, 2000).save(tmp_path / "worse.json")
    runner = CliRunner()
    assert runner.invoke(perf_group, ["compare", str(base), str(same)]).exit_code == 0
    bad = runner.invoke(
        perf_group, ["compare", str(base), str(worse), "--max-throughput-drop", "5%"]
    )
    assert bad.exit_code == 1
    assert "REGRESSION" in bad.output
