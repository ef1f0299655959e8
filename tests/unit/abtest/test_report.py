"""A whole run over mock transports: verdict, report JSON round trip, Markdown, valid PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from tritonops.abtest import load_report, run_experiment
from tritonops.abtest.workload import WorkItem, Workload
from tritonops.cli.abtest import ab_test_command
from tritonops.client.mock import MockTransport
from tritonops.client.transport import InferRequest, Tensors
from tritonops.spec import ExperimentSpec, SloSpec, VariantSpec

CONFIG = {"name": "m", "max_batch_size": 8,
          "input": [{"name": "x", "data_type": "TYPE_FP32", "dims": [3]}],
          "output": [{"name": "p", "data_type": "TYPE_FP32", "dims": [3]}]}  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n"


def answer(request: InferRequest) -> Tensors:
    return {"p": np.asarray(request.inputs["x"])}


def test_run_decides_and_writes_a_report_that_round_trips(tmp_path: Path) -> None:
    exp = ExperimentSpec(
        name="mock",
        variants=[
            VariantSpec(name="control", model="slow"),
            VariantSpec(name="candidate", model="fast"),
        ],
        slo=SloSpec(p99_ms=500),
        min_samples=60,
    )
    transports = {
        "control": MockTransport(
            answer, configs={"slow": {**CONFIG, "name": "slow"}}, latency_s=0.02
        ),
        "candidate": MockTransport(answer, configs={"fast": {**CONFIG, "name": "fast"}}),
    }
    eye = np.eye(3, dtype=np.float32)
    work = Workload([WorkItem({"x": eye[i % 3][None]}, i % 3, f"u{i}") for i in range(30)], "test")
    result = run_experiment(exp, url="127.0.0.1:1", requests=200, concurrency=8,
                            transports=transports, workload=work, report_dir=tmp_path)  # fmt: skip
    assert result.decision == "promote"
    assert result.exit_code == 0
    assert any("latency p50" in r for r in result.verdicts["candidate"].reasons)
    report = result.report
    assert {a.name: a.accuracy for a in report.arms} == {"control": 1.0, "candidate": 1.0}
    assert sum(a.requests for a in report.arms) == len(report.samples) == 200
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["schema"] == "tritonops.abtest/1"
    assert load_report(tmp_path / "report.json") == report
    assert load_report(tmp_path / "report.json").to_json() == data
    assert "**promote**" in (tmp_path / "report.md").read_text()
    for name in ("latency_cdf.png", "over_time.png"):
        blob = (tmp_path / name).read_bytes()
        assert blob.startswith(PNG)
        assert len(blob) > 1000


def test_cli_help_documents_the_exit_codes() -> None:
    out = CliRunner().invoke(ab_test_command, ["--help"]).output
    for line in ("0  promote", "3  hold", "4  rollback", "1  error"):
        assert line in out


def test_cli_rejects_closed_and_open_loop_together() -> None:
    result = CliRunner().invoke(ab_test_command, ["x", "--concurrency", "2", "--rate", "5"])
    assert result.exit_code == 2
    assert "not both" in result.output


def test_shadow_drops_are_reported_not_hidden(tmp_path: Path) -> None:
    """A shadow slower than the traffic saturates; the copies it drops show in the report."""
    from tritonops.spec import ShadowSpec

    exp = ExperimentSpec(
        name="mock-shadow",
        variants=[
            VariantSpec(name="control", model="fast"),
            VariantSpec(name="candidate", model="fast"),
        ],
        shadow=ShadowSpec(model="slow"),
        min_samples=10,
    )
    fast = {"fast": {**CONFIG, "name": "fast"}}
    transports = {
        "control": MockTransport(answer, configs=fast),
        "candidate": MockTransport(answer, configs=fast),
        "shadow:slow": MockTransport(
            answer, configs={"slow": {**CONFIG, "name": "slow"}}, latency_s=0.2
        ),
    }
    eye = np.eye(3, dtype=np.float32)
    work = Workload([WorkItem({"x": eye[i % 3][None]}, i % 3, f"u{i}") for i in range(30)], "test")
    result = run_experiment(exp, url="127.0.0.1:1", requests=300, concurrency=8,
                            transports=transports, workload=work, report_dir=tmp_path)  # fmt: skip
    shadow = result.report.shadow
    assert shadow is not None
    assert shadow.dropped > 0
    assert shadow.count + shadow.dropped == 300
    assert f"{shadow.dropped} more dropped" in (tmp_path / "report.md").read_text()
