"""The canary ramp's state machine, driven by a fake step runner."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from tritonops.abtest.ramp import RampState, StepOutcome, parse_steps, ramp
from tritonops.abtest.server_guard import ModelCounters
from tritonops.abtest.verdict import ArmSamples
from tritonops.errors import ExperimentError
from tritonops.spec import ExperimentSpec, SloSpec, VariantSpec

EXP = ExperimentSpec(
    name="canary",
    variants=[VariantSpec(name="control", model="m1"), VariantSpec(name="candidate", model="m2")],
    slo=SloSpec(p99_ms=50, max_error_rate=0.05),
    min_samples=200,
)


class FakeStepRunner:
    """Answers each window with samples whose candidate latency depends on its weight."""

    def __init__(self, slow_from: float = 101.0, crash_at: float | None = None) -> None:
        self.slow_from = slow_from
        self.crash_at = crash_at
        self.seen: list[float] = []
        self.server: dict[str, ModelCounters] | None = None

    def __call__(self, weights: Mapping[str, float]) -> StepOutcome:
        percent = weights["candidate"]
        self.seen.append(percent)
        if percent == self.crash_at:
            raise KeyboardInterrupt
        rng = np.random.default_rng(int(percent))
        median = 200.0 if percent >= self.slow_from else 10.0
        n = 400
        cand = max(int(n * percent / 100), 1)
        control = ArmSamples("control", rng.lognormal(np.log(10), 0.2, n - cand), n - cand, 0)
        candidate = ArmSamples("candidate", rng.lognormal(np.log(median), 0.2, cand), cand, 0)
        return StepOutcome(control, candidate, self.server)


def test_healthy_candidate_completes_every_step(tmp_path: Path) -> None:
    fake, path = FakeStepRunner(), tmp_path / "canary.json"
    state = ramp(EXP, fake, path, steps=[1, 5, 25, 50, 100])
    assert state.status == "completed"
    assert fake.seen == [1, 5, 25, 50, 100]
    assert state.weights == {"control": 0.0, "candidate": 100.0}
    assert [h["passed"] for h in state.history] == [True] * 5
    assert RampState.load(path).status == "completed"


def test_breach_rolls_back_to_the_baseline_and_stops(tmp_path: Path) -> None:
    fake, path = FakeStepRunner(slow_from=25), tmp_path / "canary.json"
    state = ramp(EXP, fake, path, steps=[1, 5, 25, 50, 100])
    assert state.status == "rolled_back"
    assert fake.seen == [1, 5, 25]
    assert state.weights == {"control": 100.0, "candidate": 0.0}
    last = state.history[-1]
    assert last["percent"] == 25
    assert not last["passed"]
    assert any(r.startswith("SLO breach: p99 latency") for r in last["reasons"])
    assert RampState.load(path).weights == {"control": 100.0, "candidate": 0.0}


def test_server_side_breach_rolls_back(tmp_path: Path) -> None:
    fake = FakeStepRunner()
    fake.server = {"m2": ModelCounters(success=90, failure=10, request_us=90 * 5000)}
    state = ramp(EXP, fake, tmp_path / "s.json", steps=[10, 100])
    assert state.status == "rolled_back"
    assert state.history[-1]["reasons"] == [
        "Triton: m2 failure rate 10.00% > SLO 5.00% (10 of 100)"
    ]


def test_interrupted_ramp_resumes_at_the_unfinished_step(tmp_path: Path) -> None:
    path = tmp_path / "canary.json"
    with pytest.raises(KeyboardInterrupt):
        ramp(EXP, FakeStepRunner(crash_at=25), path, steps=[1, 5, 25, 50, 100])
    saved = RampState.load(path)
    assert (saved.status, saved.next_step, saved.weights["candidate"]) == ("running", 2, 25)
    with pytest.raises(ExperimentError, match="--resume"):
        ramp(EXP, FakeStepRunner(), path)
    fake = FakeStepRunner()
    state = ramp(EXP, fake, path, resume=True)
    assert fake.seen == [25, 50, 100]
    assert state.status == "completed"
    assert [h["percent"] for h in state.history] == [1, 5, 25, 50, 100]


def test_rollback_of_an_unfinished_ramp_sends_no_traffic(tmp_path: Path) -> None:
    path = tmp_path / "canary.json"
    with pytest.raises(KeyboardInterrupt):
        ramp(EXP, FakeStepRunner(crash_at=5), path, steps=[1, 5, 100])
    fake = FakeStepRunner()
    state = ramp(EXP, fake, path, rollback=True)
    assert fake.seen == []
    assert state.status == "rolled_back"
    assert state.weights == {"control": 100.0, "candidate": 0.0}
    with pytest.raises(ExperimentError, match="nothing to resume"):
        ramp(EXP, fake, path, resume=True)


def test_resume_without_state_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="no ramp state"):
        ramp(EXP, FakeStepRunner(), tmp_path / "none.json", resume=True)


@pytest.mark.parametrize("text", ["", "5,1,100", "1,5,50", "0,100", "a,b"])
def test_bad_steps_are_rejected(text: str) -> None:
    with pytest.raises(ExperimentError):
        parse_steps(text)


def test_steps_parse() -> None:
    assert parse_steps("1,5,25,50,100") == [1, 5, 25, 50, 100]
