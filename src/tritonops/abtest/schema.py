"""The report's JSON document, ``tritonops.abtest/1`` (also described in docs/abtest-report.md).

::

    {
      "schema": "tritonops.abtest/1",
      "experiment": "digits-v2", "url": "127.0.0.1:8001", "protocol": "grpc", "seed": 0,
      "started_at": "2025-01-01T12:00:00+00:00",      # ISO 8601, UTC
      "duration_s": 12.3,                             # wall time of the measured run
      "load": {"mode": "closed" | "open", "concurrency": 8 | null, "rate": null | 200.0,
               "requests": 2000 | null, "duration_s": null | 30.0},
      "workload": {"source": "npz:/path/holdout.npz", "size": 360, "labelled": true},
      "decision": "promote" | "hold" | "rollback",   # the most cautious over all candidates
      "exit_code": 0 | 3 | 4,
      "arms": [{"name", "model", "version": str, "weight", "role": "control" | "candidate",
                "requests", "errors", "error_rate", "accuracy": float | null,
                "latency_ms": {"p50", "p95", "p99", "mean"} | null,   # successful requests
                "throughput_rps"}],
      "verdicts": [{"control", "candidate", "decision", "reasons": [str], "breaches": [str],
                    "samples": {"counts": {arm: n}, "required": n},
                    "comparisons": [{"metric", "control", "candidate", "difference",
                                     "ci_low", "ci_high", "confidence", "tolerance",
                                     "p_value": float | null, "outcome"}],
                    "latency_shift": {"u", "p_value", "prob_candidate_slower"} | null}],
      "shadow": {"target", "count", "errors", "agreement": float | null,
                 "latency_ms": {"p50", "p95", "p99", "mean"} | null, "dropped"} | null,
      "server": {model: {"success", "failure", "requests", "failure_rate", "mean_request_ms",
                         "mean_queue_ms", "mean_compute_ms", ...}} | null,
      "samples": [{"variant", "t_s", "latency_ms", "ok", "correct": bool | null}],
      "plots": {"latency_cdf": "latency_cdf.png", "over_time": "over_time.png"}
    }

Latencies are milliseconds; in an open-loop run they are measured from each request's scheduled
send time. ``difference`` is candidate − control. ``t_s`` is the finish time since the run began.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tritonops.errors import ExperimentError

SCHEMA = "tritonops.abtest/1"


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatencySummary(_Doc):
    p50: float
    p95: float
    p99: float
    mean: float


class LoadDoc(_Doc):
    mode: Literal["closed", "open"]
    concurrency: int | None
    rate: float | None
    requests: int | None
    duration_s: float | None


class WorkloadDoc(_Doc):
    source: str
    size: int
    labelled: bool


class ArmDoc(_Doc):
    name: str
    model: str
    version: str
    weight: float
    role: Literal["control", "candidate"]
    requests: int
    errors: int
    error_rate: float
    accuracy: float | None
    latency_ms: LatencySummary | None
    throughput_rps: float


class ComparisonDoc(_Doc):
    metric: str
    control: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    tolerance: float
    p_value: float | None
    outcome: Literal["better", "worse", "equivalent", "inconclusive", "guardrail only"]


class SamplesDoc(_Doc):
    counts: dict[str, int]
    required: int


class ShiftDoc(_Doc):
    u: float
    p_value: float
    prob_candidate_slower: float


class VerdictDoc(_Doc):
    control: str
    candidate: str
    decision: Literal["promote", "hold", "rollback"]
    reasons: list[str]
    breaches: list[str]
    samples: SamplesDoc
    comparisons: list[ComparisonDoc]
    latency_shift: ShiftDoc | None


class ShadowDoc(_Doc):
    target: str
    count: int
    errors: int
    agreement: float | None
    latency_ms: LatencySummary | None
    # mirrored copies dropped because the shadow could not keep up (they are never compared)
    dropped: int = 0


class SampleDoc(_Doc):
    variant: str
    t_s: float
    latency_ms: float
    ok: bool
    correct: bool | None


class Report(_Doc):
    """The whole document; ``Report.model_validate(json.load(f))`` checks a report file."""

    schema_: Literal["tritonops.abtest/1"] = Field("tritonops.abtest/1", alias="schema")
    experiment: str
    url: str
    protocol: str
    seed: int
    started_at: str
    duration_s: float
    load: LoadDoc
    workload: WorkloadDoc
    decision: Literal["promote", "hold", "rollback"]
    exit_code: int
    arms: list[ArmDoc]
    verdicts: list[VerdictDoc]
    shadow: ShadowDoc | None
    server: dict[str, dict[str, float | None]] | None
    samples: list[SampleDoc]
    plots: dict[str, str] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


def load_report(path: Path) -> Report:
    """Read a report.json back, checking it against the schema."""
    try:
        return Report.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise ExperimentError(f"{path} is not a {SCHEMA} report: {exc}") from exc
