"""``tritonops ab-test`` and the canary ramp against a real tritonserver.

The candidate that should lose sleeps ``SLOW_MS`` per request on one instance, so at concurrency 4
its latency is tens of milliseconds above the fast model's whatever the machine's noise; SLOs are
set far from both, so the verdicts do not depend on this machine's speed.
"""

from __future__ import annotations

import json
import socket
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tritonops.abtest import RampState, load_report, run_experiment, run_ramp
from tritonops.abtest.ramp import state_path
from tritonops.cli.main import cli
from tritonops.server import LocalTriton

from .abtest_models import write_project

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

EXPERIMENTS = """\
  - name: slow-candidate
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: slow }
    slo: { p95_ms: 12 }
    min_samples: 30
  - name: fast-candidate
    variants:
      - { name: control, model: slow }
      - { name: candidate, model: fast }
    slo: { p95_ms: 500 }
    min_samples: 30
    dataset: plain.npz
    labels: label
  - name: sticky-shadow
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: fast }
    sticky_key: user_id
    shadow: { model: negate }
    min_samples: 10
    dataset: users.npz
    labels: label
  - name: same-model
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: fast }
    min_samples: 100
  - name: stray-array
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: fast }
    dataset: users.npz
    labels: label
  - name: ramp-slow
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: slow }
    slo: { p95_ms: 12 }
  - name: ramp-fast
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: fast }
    slo: { p95_ms: 500 }
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("abtest-project"), EXPERIMENTS)


def ab_test(*args: str) -> Result:
    return CliRunner().invoke(cli, ["ab-test", *args, "--quiet"], catch_exceptions=False)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def test_slow_candidate_breaks_its_slo_and_is_rolled_back(
    triton: LocalTriton, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = ab_test(
        "slow-candidate", "-f", str(project), "--url", triton.grpc_url,
        "--requests", "120", "--concurrency", "4", "--report", str(out),
        "--metrics-url", triton.metrics_url,
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    assert "candidate vs control: ROLLBACK" in result.output

    report = load_report(out / "report.json")
    assert report.decision == "rollback"
    assert report.exit_code == 4
    (verdict,) = report.verdicts
    assert verdict.decision == "rollback"
    assert any(b.startswith("p95 latency") for b in verdict.breaches), verdict.breaches
    assert verdict.reasons[0].startswith("SLO breach: p95 latency")
    arms = {arm.name: arm for arm in report.arms}
    assert arms["control"].model == "fast"
    assert arms["candidate"].model == "slow"
    assert sum(arm.requests for arm in report.arms) == 120 == len(report.samples)
    assert all(arm.errors == 0 for arm in report.arms)
    slow, fast = arms["candidate"].latency_ms, arms["control"].latency_ms
    assert slow is not None
    assert fast is not None
    assert slow.p50 > fast.p50
    assert report.load.mode == "closed"
    assert report.load.concurrency == 4
    # Triton's own counters for both models, over the measured window only
    assert report.server is not None
    assert report.server["slow"]["success"] == arms["candidate"].requests

    for name in report.plots.values():
        assert (out / name).read_bytes()[:8] == PNG_MAGIC
    markdown = (out / "report.md").read_text()
    assert "rollback" in markdown.lower()
    assert verdict.breaches[0] in markdown


def test_fast_candidate_equally_accurate_is_promoted_as_significantly_better(
    triton: LocalTriton, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = ab_test(
        "fast-candidate", "-f", str(project), "--url", triton.grpc_url,
        "--requests", "120", "--concurrency", "4", "--report", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = load_report(out / "report.json")
    (verdict,) = report.verdicts
    # rule 4: nothing worse, latency significantly better -> promote, the reasons say which
    assert verdict.decision == "promote"
    assert report.exit_code == 0
    assert verdict.reasons
    assert all(r.startswith("significantly better: latency p") for r in verdict.reasons), (
        verdict.reasons
    )
    outcomes = {c.metric: c.outcome for c in verdict.comparisons}
    assert outcomes["latency p50"] == "better"
    assert outcomes["accuracy"] != "worse"
    assert outcomes["error rate"] != "worse"
    assert {arm.accuracy for arm in report.arms} == {1.0}
    assert report.workload.labelled
    assert report.workload.size == 200
    assert "promote" in (out / "report.md").read_text().lower()


def test_sticky_users_keep_their_variant_and_the_shadow_never_answers(
    triton: LocalTriton, project: Path
) -> None:
    requests = 60  # at most 64 shadows in flight: none is dropped, so every one is counted
    result = run_experiment(
        "sticky-shadow", url=triton.grpc_url, project=project, requests=requests,
        concurrency=4, seed=3,
    )  # fmt: skip
    data = result.data
    assert len(data.samples) == requests
    assert all(s.ok for s in data.samples)
    # samples are in request order, and request i carries workload item i's user
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for index, sample in enumerate(data.samples):
        seen[data.workload.item(index).key].add(sample.variant)
    assert len(seen) == 16
    assert all(len(variants) == 1 for variants in seen.values()), dict(seen)
    assert {v for variants in seen.values() for v in variants} == {"control", "candidate"}

    # the shadow (y = -x) disagrees with every primary answer, yet every served answer is right:
    # the primary outputs are the primary model's, never the shadow's
    assert all(s.correct is True for s in data.samples)
    shadow = result.report.shadow
    assert shadow is not None
    assert shadow.target == "shadow:negate"
    # exactly the measured requests: the warm-up's mirrored requests are not counted
    assert shadow.count == requests
    assert shadow.errors == 0
    assert shadow.agreement == 0.0


def test_a_a_run_claims_no_difference(triton: LocalTriton, project: Path) -> None:
    result = run_experiment(
        "same-model", url=triton.grpc_url, project=project, requests=300, concurrency=4, seed=11
    )
    verdict = result.verdicts["candidate"]
    assert verdict.samples.enough, verdict.reasons
    assert not verdict.claims_difference, verdict.reasons
    assert verdict.decision in ("promote", "hold")


def test_open_loop_measures_latency_from_the_scheduled_send_time(
    triton: LocalTriton, project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    rate = 80.0
    result = ab_test(
        "same-model", "-f", str(project), "--url", triton.grpc_url,
        "--rate", str(rate), "--requests", "60", "--report", str(out),
    )  # fmt: skip
    assert result.exit_code == 3, result.output  # 60 requests < min_samples 100: hold
    report = load_report(out / "report.json")
    assert report.load.mode == "open"
    assert report.load.rate == rate
    assert report.load.concurrency is None
    assert len(report.samples) == 60
    # request i is due at i / rate; finish time minus latency is exactly that due time
    for index, sample in enumerate(report.samples):
        assert sample.t_s - sample.latency_ms / 1000 == pytest.approx(index / rate, abs=1e-6)


def test_ramp_rolls_a_slow_candidate_back_early(triton: LocalTriton, project: Path) -> None:
    result = ab_test(
        "ramp-slow", "-f", str(project), "--url", triton.grpc_url,
        "--ramp", "1,5,25,50,100", "--requests", "200", "--concurrency", "4",
    )  # fmt: skip
    assert result.exit_code == 4, result.output
    path = state_path(project.parent, "ramp-slow")
    assert path == project.parent / ".tritonops" / "ramps" / "ramp-slow.json"
    state = RampState.load(path)
    assert state.status == "rolled_back"
    assert state.weights == {"control": 100.0, "candidate": 0.0}
    steps = [h for h in state.history if h["event"] == "step"]
    assert steps[-1]["percent"] <= 25
    assert not steps[-1]["passed"]
    assert all(h["passed"] for h in steps[:-1])
    assert any(r.startswith("SLO breach: p95 latency") for r in steps[-1]["reasons"])
    assert "ramp ramp-slow: rolled_back" in result.output

    # --rollback of a finished ramp: weights to the control, no traffic (the URL is dead)
    again = ab_test("ramp-slow", "-f", str(project), "--url", closed_port(), "--rollback")
    assert again.exit_code == 4, again.output
    after = RampState.load(path)
    assert after.status == "rolled_back"
    assert after.weights == state.weights
    assert [h for h in after.history if h["event"] == "step"] == steps
    assert after.history[-1]["event"] == "rollback"
    # and a finished ramp has nothing to resume
    resumed = ab_test("ramp-slow", "-f", str(project), "--url", triton.grpc_url, "--resume")
    assert resumed.exit_code == 1
    assert "nothing to resume" in resumed.output


def test_interrupted_ramp_resumes_where_it_stopped(triton: LocalTriton, project: Path) -> None:
    steps = [1.0, 5.0, 25.0, 50.0, 100.0]

    def interrupt(state: RampState) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_ramp(
            "ramp-fast", url=triton.grpc_url, project=project, steps=steps, requests=60,
            concurrency=4, step_min_samples=10, on_step=interrupt,
        )  # fmt: skip
    path = state_path(project.parent, "ramp-fast")
    stopped = json.loads(path.read_text())
    assert stopped["status"] == "running"
    assert stopped["next_step"] == 1

    # a new ramp refuses to start over the unfinished one
    refused = ab_test("ramp-fast", "-f", str(project), "--url", triton.grpc_url, "--ramp", "50,100")
    assert refused.exit_code == 1
    assert "--resume" in refused.output

    done = run_ramp(
        "ramp-fast", url=triton.grpc_url, project=project, resume=True, requests=60,
        concurrency=4, step_min_samples=10,
    )  # fmt: skip
    assert done.status == "completed"
    assert done.weights == {"control": 0.0, "candidate": 100.0}
    assert [h["percent"] for h in done.history if h["event"] == "step"] == steps
    assert all(h["passed"] for h in done.history if h["event"] == "step")

    # rolling back a completed ramp returns all traffic to the control, sending none
    back = ab_test("ramp-fast", "-f", str(project), "--url", closed_port(), "--rollback")
    assert back.exit_code == 4, back.output
    assert RampState.load(path).weights == {"control": 100.0, "candidate": 0.0}


def test_dataset_array_that_is_no_input_is_a_clean_error(
    triton: LocalTriton, project: Path
) -> None:
    # users.npz has a text array user_id, but this experiment has no sticky_key: it is an input
    result = CliRunner().invoke(
        cli, ["ab-test", "stray-array", "-f", str(project), "--url", triton.grpc_url, "--quiet"]
    )
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "user_id" in result.output
