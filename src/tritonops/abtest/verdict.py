"""The decision: promote, hold or roll back a candidate against its control, with reasons.

The rule, in order (the first that applies wins):

1. **hold** — either arm has fewer than ``min_samples`` completed requests
   ("not enough samples (n=control 150, candidate 37; need 200 per arm)").
2. **rollback** — the candidate breaches an SLO guardrail, judged on its observed values:
   p50/p95/p99 latency above ``slo.pXX_ms``, error rate above ``slo.max_error_rate``,
   accuracy below ``slo.min_accuracy``.
3. **rollback** — the candidate is *significantly worse* on any compared metric.
4. **promote** — no metric is worse, and either at least one metric is *significantly better*
   or every metric of the equivalence set is *equivalent*.
5. **hold** — otherwise (inconclusive; the reasons name the metrics that were).

Compared metrics: latency p50, p95, p99 (successful requests), error rate, and accuracy when both
arms have labelled answers. With m metrics and ``alpha`` = 0.01, each test runs at level α/m
(Bonferroni), so the chance that an experiment claims *any* difference that is not there is at
most α. For each metric, with d = candidate − control (oriented so that positive is worse) and a
tolerance τ:

- *worse*: the difference is significant (latency: the bootstrap CI at confidence 1 − α/m lies
  above 0; error rate and accuracy: two-proportion z-test p < α/m) **and** d > τ;
- *better*: significant **and** d < −τ;
- *equivalent*: the whole CI lies within ±τ;
- *inconclusive*: none of these.

τ for latency percentile q is ``max(latency_tolerance · control's q-th percentile,
latency_floor_ms)`` (10 % and 1 ms by default); τ is ``error_rate_tolerance`` (0.5 points) for the
error rate and ``accuracy_tolerance`` (1 point) for accuracy. The equivalence set is every metric
except p99 latency: a p99 estimated from a few hundred samples has an interval too wide to prove
equality, so p99 only has to be not worse and within its SLO.

A/A property (both arms the same model): the verdict is promote or hold and no metric is
classified better or worse — except with probability ≤ α by the Bonferroni bound (practically
less, since a difference must also exceed τ). ``tests/unit/abtest/test_verdict.py`` checks this
over seeded simulations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from tritonops.abtest.stats import (
    BOOTSTRAP_RESAMPLES,
    PERCENTILES,
    Interval,
    MannWhitney,
    SampleCheck,
    bootstrap_differences,
    check_samples,
    mann_whitney,
    two_proportions,
)
from tritonops.spec import SloSpec

Decision = Literal["promote", "hold", "rollback"]
Outcome = Literal["better", "worse", "equivalent", "inconclusive", "guardrail only"]
# percentiles classified better/worse; p99 is judged by its SLO only (see the module docstring)
TESTED_PERCENTILES = (50, 95)
EXIT_CODES: dict[Decision, int] = {"promote": 0, "hold": 3, "rollback": 4}
_SEVERITY: dict[Decision, int] = {"promote": 0, "hold": 1, "rollback": 2}


@dataclass(frozen=True)
class ArmSamples:
    """What one arm produced: latencies of its successful requests, error and label counts."""

    name: str
    latencies_ms: NDArray[np.float64]
    requests: int
    errors: int
    labelled: int = 0
    correct: int = 0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


@dataclass(frozen=True)
class Policy:
    """Significance level and practical tolerances of the decision (see the module docstring)."""

    alpha: float = 0.01
    latency_tolerance: float = 0.10
    latency_floor_ms: float = 1.0
    error_rate_tolerance: float = 0.005
    accuracy_tolerance: float = 0.01
    resamples: int = BOOTSTRAP_RESAMPLES


@dataclass(frozen=True)
class Comparison:
    """One metric, candidate vs control; ``difference`` is candidate − control in its own unit."""

    metric: str
    control: float
    candidate: float
    difference: Interval
    tolerance: float
    p_value: float | None
    outcome: Outcome
    higher_is_better: bool = False

    @property
    def significant(self) -> bool:
        return self.outcome in ("better", "worse")

    def describe(self) -> str:
        d = self.difference
        unit = " ms" if self.metric.startswith("latency") else ""
        p = f", p={self.p_value:.2g}" if self.p_value is not None else ""
        return (
            f"{self.metric} {self.candidate:.4g}{unit} vs {self.control:.4g}{unit}: "
            f"{d.estimate:+.4g}{unit} ({d.confidence:.1%} CI {d.low:+.4g}..{d.high:+.4g}{p}; "
            f"tolerance ±{self.tolerance:.3g}{unit})"
        )


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: list[str]
    control: str
    candidate: str
    samples: SampleCheck
    breaches: list[str] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    latency_shift: MannWhitney | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]

    @property
    def claims_difference(self) -> bool:
        """Whether any metric was declared significantly better or worse."""
        return any(c.significant for c in self.comparisons)


def worst(decisions: list[Decision]) -> Decision:
    """The most cautious of several verdicts (rollback > hold > promote)."""
    return max(decisions, key=lambda d: _SEVERITY[d]) if decisions else "hold"


def slo_breaches(arm: ArmSamples, slo: SloSpec) -> list[str]:
    """Every SLO the arm's observed values break, as readable lines."""
    breaches: list[str] = []
    if arm.latencies_ms.size:
        for q in PERCENTILES:
            limit = getattr(slo, f"p{q}_ms")
            value = float(np.percentile(arm.latencies_ms, q))
            if limit is not None and value > limit:
                breaches.append(f"p{q} latency {value:.1f} ms > SLO {limit:g} ms")
    elif arm.requests and any(getattr(slo, f"p{q}_ms") is not None for q in PERCENTILES):
        breaches.append("no successful request, so no latency meets the SLO")
    if slo.max_error_rate is not None and arm.error_rate > slo.max_error_rate:
        breaches.append(f"error rate {arm.error_rate:.2%} > SLO {slo.max_error_rate:.2%}")
    accuracy = arm.accuracy
    if slo.min_accuracy is not None and accuracy is not None and accuracy < slo.min_accuracy:
        breaches.append(f"accuracy {accuracy:.2%} < SLO {slo.min_accuracy:.2%}")
    return breaches


def _classify(d: Interval, tolerance: float, significant: bool, higher_is_better: bool) -> Outcome:
    worse_by = -d.estimate if higher_is_better else d.estimate
    if significant and worse_by > tolerance:
        return "worse"
    if significant and worse_by < -tolerance:
        return "better"
    if d.within(tolerance):
        return "equivalent"
    return "inconclusive"


def compare(
    control: ArmSamples, candidate: ArmSamples, policy: Policy, seed: int
) -> list[Comparison]:
    """Every metric both arms can be compared on, classified at level α/m."""
    have_latency = control.latencies_ms.size > 0 and candidate.latencies_ms.size > 0
    have_labels = control.labelled > 0 and candidate.labelled > 0
    m = (len(TESTED_PERCENTILES) if have_latency else 0) + 1 + (1 if have_labels else 0)
    level = policy.alpha / m
    out: list[Comparison] = []
    if have_latency:
        intervals = bootstrap_differences(
            control.latencies_ms,
            candidate.latencies_ms,
            PERCENTILES,
            confidence=1 - level,
            resamples=policy.resamples,
            rng=np.random.default_rng(seed),
        )
        for q in PERCENTILES:
            d = intervals[f"p{q}"]
            base = float(np.percentile(control.latencies_ms, q))
            tolerance = max(policy.latency_tolerance * base, policy.latency_floor_ms)
            outcome: Outcome = (
                _classify(d, tolerance, d.excludes_zero(), higher_is_better=False)
                if q in TESTED_PERCENTILES
                else "guardrail only"
            )
            out.append(
                Comparison(f"latency p{q}", base, base + d.estimate, d, tolerance, None, outcome)
            )
    errors = two_proportions(
        control.errors, control.requests, candidate.errors, candidate.requests, confidence=1 - level
    )
    out.append(
        Comparison(
            "error rate",
            errors.control,
            errors.candidate,
            errors.difference,
            policy.error_rate_tolerance,
            errors.p_value,
            _classify(
                errors.difference, policy.error_rate_tolerance, errors.p_value < level, False
            ),
        )
    )
    if have_labels:
        acc = two_proportions(
            control.correct,
            control.labelled,
            candidate.correct,
            candidate.labelled,
            confidence=1 - level,
        )
        out.append(
            Comparison(
                "accuracy",
                acc.control,
                acc.candidate,
                acc.difference,
                policy.accuracy_tolerance,
                acc.p_value,
                _classify(acc.difference, policy.accuracy_tolerance, acc.p_value < level, True),
                higher_is_better=True,
            )
        )
    return out


def decide(
    control: ArmSamples,
    candidate: ArmSamples,
    slo: SloSpec,
    min_samples: int,
    policy: Policy | None = None,
    *,
    seed: int = 0,
) -> Verdict:
    """Apply the rule of this module's docstring; ``seed`` fixes the bootstrap."""
    rule = policy or Policy()
    samples = check_samples(
        {control.name: control.requests, candidate.name: candidate.requests}, min_samples
    )
    verdict = Verdict("hold", [], control.name, candidate.name, samples)
    if not samples.enough:
        return replace(verdict, reasons=[f"not enough samples ({samples.describe()})"])
    breaches = slo_breaches(candidate, slo)
    comparisons = compare(control, candidate, rule, seed)
    shift = (
        mann_whitney(control.latencies_ms, candidate.latencies_ms)
        if control.latencies_ms.size and candidate.latencies_ms.size
        else None
    )
    verdict = replace(verdict, breaches=breaches, comparisons=comparisons, latency_shift=shift)
    if breaches:
        return replace(verdict, decision="rollback", reasons=[f"SLO breach: {b}" for b in breaches])
    worse = [f"significantly worse: {c.describe()}" for c in comparisons if c.outcome == "worse"]
    if worse:
        return replace(verdict, decision="rollback", reasons=worse)
    better = [f"significantly better: {c.describe()}" for c in comparisons if c.outcome == "better"]
    if better:
        return replace(verdict, decision="promote", reasons=better)
    open_ = [c for c in comparisons if c.outcome not in ("equivalent", "guardrail only")]
    if not open_:
        reason = "meets every SLO and is equivalent to the control within tolerance"
        return replace(verdict, decision="promote", reasons=[reason])
    return replace(verdict, reasons=[f"inconclusive: {c.describe()}" for c in open_])
