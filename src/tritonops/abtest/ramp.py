"""Canary ramp: move traffic to the candidate step by step, rolling back on the first breach.

At each step (a candidate weight in percent, e.g. ``1, 5, 25, 50, 100``) one window of traffic runs
at that split. The step passes when the candidate meets its SLOs on the client's samples (once it
has ``step_min_samples``), is not significantly worse than the control (``verdict.decide`` with the
step's sample floor), and Triton's own counters for the candidate's model (failure rate, mean
request time) stay within the SLO — read from one server's /metrics page, or summed over every
replica from Prometheus (``--prometheus-url``, ``tritonops.monitoring.fleet``). Any breach rolls
back to the baseline (control 100 %).

State lives in ``<project>/.tritonops/ramps/<experiment>.json`` and is written before and after
every step, so an interrupted ramp can ``resume`` (the unfinished step runs again) or be rolled
back without sending traffic. Statuses: ``running`` → ``completed`` | ``rolled_back``.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from tritonops.abtest.server_guard import ServerGuard, Snapshot, server_breaches
from tritonops.abtest.verdict import ArmSamples, decide, slo_breaches
from tritonops.errors import ExperimentError
from tritonops.spec import ExperimentSpec

RampStatus = Literal["running", "completed", "rolled_back"]
STATE_SCHEMA = "tritonops.ramp/1"
DEFAULT_STEPS = (1.0, 5.0, 25.0, 50.0, 100.0)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class RampState:
    """The ramp's progress on disk; ``next_step`` indexes ``steps``."""

    experiment: str
    control: str
    candidate: str
    steps: list[float]
    next_step: int = 0
    status: RampStatus = "running"
    weights: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    updated_at: str = ""

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write must not lose the last good state."""
        self.updated_at = _now()
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".json.tmp")
        scratch.write_text(json.dumps({"schema": STATE_SCHEMA, **asdict(self)}, indent=2) + "\n")
        os.replace(scratch, path)

    @classmethod
    def load(cls, path: Path) -> RampState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ExperimentError(
                f"no ramp state at {path} — start a ramp with --ramp first"
            ) from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise ExperimentError(f"the ramp state {path} is unreadable: {exc}") from exc
        if data.pop("schema", None) != STATE_SCHEMA:
            raise ExperimentError(f"{path} is not a {STATE_SCHEMA} ramp state")
        return cls(**data)

    def baseline(self) -> dict[str, float]:
        return {self.control: 100.0, self.candidate: 0.0}


@dataclass(frozen=True)
class StepOutcome:
    """What one window measured: both arms' samples and Triton's counters over it (if scraped)."""

    control: ArmSamples
    candidate: ArmSamples
    server: Snapshot | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# runs one window of traffic at the given weights (the real one drives runner.run_async)
StepRunner = Callable[[Mapping[str, float]], StepOutcome]


def state_path(project_root: Path, experiment: str) -> Path:
    return project_root / ".tritonops" / "ramps" / f"{experiment}.json"


def parse_steps(text: str) -> list[float]:
    """``"1,5,25,50,100"`` → ``[1, 5, 25, 50, 100]``: increasing percents ending at 100."""
    try:
        steps = [float(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise ExperimentError(f"--ramp takes percents like 1,5,25,50,100 (got {text!r})") from exc
    if not steps or any(not 0 < s <= 100 for s in steps):
        raise ExperimentError(f"--ramp steps must be percents in (0, 100] (got {text!r})")
    if any(b <= a for a, b in itertools.pairwise(steps)) or steps[-1] != 100:
        raise ExperimentError(f"--ramp steps must increase and end at 100 (got {text!r})")
    return steps


def judge_step(
    experiment: ExperimentSpec,
    candidate_model: str,
    outcome: StepOutcome,
    *,
    step_min_samples: int = 20,
    seed: int = 0,
) -> list[str]:
    """Every reason to roll back after one window (empty: the step passed)."""
    slo = experiment.slo
    reasons: list[str] = []
    if outcome.candidate.requests >= step_min_samples:
        reasons += [f"SLO breach: {b}" for b in slo_breaches(outcome.candidate, slo)]
        verdict = decide(outcome.control, outcome.candidate, slo, step_min_samples, seed=seed)
        if verdict.decision == "rollback":
            reasons += [r for r in verdict.reasons if r not in reasons]
    if outcome.server is not None:
        limits = [x for x in (slo.p50_ms, slo.p95_ms, slo.p99_ms) if x is not None]
        guard = ServerGuard(slo.max_error_rate, limits[0] if limits else None)
        reasons += server_breaches(candidate_model, outcome.server, guard)
    return reasons


def ramp(
    experiment: ExperimentSpec,
    run_step: StepRunner,
    path: Path,
    *,
    steps: Sequence[float] = DEFAULT_STEPS,
    resume: bool = False,
    rollback: bool = False,
    step_min_samples: int = 20,
    seed: int = 0,
    on_step: Callable[[RampState], None] | None = None,
) -> RampState:
    """Run (or resume, or roll back) the canary ramp of a two-variant experiment."""
    if len(experiment.variants) != 2:
        raise ExperimentError(
            f"a canary ramp needs exactly two variants (control, candidate);"
            f" {experiment.name!r} has {len(experiment.variants)}"
        )
    control, candidate = experiment.variants
    if rollback:
        state = RampState.load(path)
        state.status, state.weights = "rolled_back", state.baseline()
        state.history.append({"event": "rollback", "reason": "asked (--rollback)", "at": _now()})
        state.save(path)
        return state
    if resume:
        state = RampState.load(path)
        if state.status != "running":
            raise ExperimentError(
                f"the ramp of {experiment.name!r} is {state.status}; nothing to resume"
                " — start a new one with --ramp"
            )
    else:
        if path.exists() and RampState.load(path).status == "running":
            raise ExperimentError(
                f"a ramp of {experiment.name!r} is in progress ({path})"
                " — continue it with --resume or end it with --rollback"
            )
        state = RampState(experiment.name, control.name, candidate.name, list(steps))
    while state.next_step < len(state.steps):
        percent = state.steps[state.next_step]
        state.weights = {control.name: 100.0 - percent, candidate.name: percent}
        state.save(path)  # "running this step": a resume reruns it
        started = _now()
        outcome = run_step(dict(state.weights))
        reasons = judge_step(
            experiment, candidate.model, outcome, step_min_samples=step_min_samples, seed=seed
        )
        state.history.append(
            {
                "event": "step",
                "percent": percent,
                "started_at": started,
                "finished_at": _now(),
                "passed": not reasons,
                "reasons": reasons,
                "control_requests": outcome.control.requests,
                "candidate_requests": outcome.candidate.requests,
                "server": None
                if outcome.server is None
                else {m: c.to_json() for m, c in outcome.server.items()},
                **outcome.detail,
            }
        )
        if reasons:
            state.status, state.weights = "rolled_back", state.baseline()
            state.save(path)
            if on_step is not None:
                on_step(state)
            return state
        state.next_step += 1
        state.save(path)
        if on_step is not None:
            on_step(state)
    state.status = "completed"
    state.save(path)
    return state
