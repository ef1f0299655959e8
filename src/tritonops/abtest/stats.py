"""The statistics an experiment's verdict rests on.

Percentiles use numpy's default (linear interpolation). Differences are always
*candidate − control*, so a positive latency difference means the candidate is slower. Confidence
intervals of percentile differences come from a percentile bootstrap (each arm resampled
independently); the location shift of the whole latency distribution is tested with scipy's
Mann-Whitney U; error rate and accuracy are compared with a pooled two-proportion z-test (equal to
Pearson's chi-square without continuity correction on the 2x2 table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as scipy_stats

PERCENTILES = (50, 95, 99)
# resamples per bootstrap; 2000 keeps a 99 % interval's endpoints stable to a few percent
BOOTSTRAP_RESAMPLES = 2000
# resamples drawn at once: bounds memory at CHUNK x n floats however large the arms are
_CHUNK = 250


def _array(values: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError("no samples: a statistic needs at least one value")
    return array


def percentile(values: ArrayLike, q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation."""
    return float(np.percentile(_array(values), q))


def percentiles(values: ArrayLike, qs: Sequence[float] = PERCENTILES) -> dict[str, float]:
    """``{"p50": ..., "p95": ..., "p99": ...}`` for the given percentiles."""
    array = _array(values)
    return {f"p{q:g}": float(np.percentile(array, q)) for q in qs}


@dataclass(frozen=True)
class Interval:
    """A point estimate of a difference and its confidence interval."""

    estimate: float
    low: float
    high: float
    confidence: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def within(self, tolerance: float) -> bool:
        """The whole interval lies inside ±tolerance: equal for practical purposes."""
        return -tolerance <= self.low and self.high <= tolerance


def _bootstrap_percentiles(
    values: NDArray[np.float64], qs: Sequence[float], resamples: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``resamples`` x ``len(qs)`` percentiles of resamples of ``values``."""
    out = np.empty((resamples, len(qs)), dtype=np.float64)
    for start in range(0, resamples, _CHUNK):
        stop = min(start + _CHUNK, resamples)
        picks = rng.integers(0, values.size, size=(stop - start, values.size))
        out[start:stop] = np.percentile(values[picks], list(qs), axis=1).T
    return out


def bootstrap_differences(
    control: ArrayLike,
    candidate: ArrayLike,
    qs: Sequence[float] = PERCENTILES,
    *,
    confidence: float = 0.99,
    resamples: int = BOOTSTRAP_RESAMPLES,
    rng: np.random.Generator | None = None,
) -> dict[str, Interval]:
    """Percentile-bootstrap CIs of ``percentile(candidate, q) - percentile(control, q)``.

    Keyed ``"p50"`` etc. Both arms are resampled independently; one set of resamples serves
    every percentile, so the intervals are consistent with each other.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    a, b = _array(control), _array(candidate)
    generator = rng if rng is not None else np.random.default_rng(0)
    diffs = _bootstrap_percentiles(b, qs, resamples, generator) - _bootstrap_percentiles(
        a, qs, resamples, generator
    )
    tail = (1 - confidence) / 2 * 100
    out: dict[str, Interval] = {}
    for i, q in enumerate(qs):
        low, high = np.percentile(diffs[:, i], [tail, 100 - tail])
        estimate = float(np.percentile(b, q) - np.percentile(a, q))
        out[f"p{q:g}"] = Interval(estimate, float(low), float(high), confidence)
    return out


def bootstrap_difference(
    control: ArrayLike,
    candidate: ArrayLike,
    q: float,
    *,
    confidence: float = 0.99,
    resamples: int = BOOTSTRAP_RESAMPLES,
    rng: np.random.Generator | None = None,
) -> Interval:
    """The CI of one percentile's difference (see ``bootstrap_differences``)."""
    found = bootstrap_differences(
        control, candidate, (q,), confidence=confidence, resamples=resamples, rng=rng
    )
    return found[f"p{q:g}"]


@dataclass(frozen=True)
class MannWhitney:
    """Mann-Whitney U of candidate vs control; ``p_value`` is two-sided.

    ``prob_candidate_slower`` is the common-language effect size P(candidate > control) + ½ P(tie),
    i.e. U / (n_control · n_candidate) with U counted for the candidate.
    """

    u: float
    p_value: float
    prob_candidate_slower: float


def mann_whitney(control: ArrayLike, candidate: ArrayLike) -> MannWhitney:
    a, b = _array(control), _array(candidate)
    result = scipy_stats.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic")
    u = float(result.statistic)
    p = float(result.pvalue)
    # identical constant samples give NaN in scipy: there is no evidence of any shift
    return MannWhitney(u, 1.0 if math.isnan(p) else p, u / (a.size * b.size))


@dataclass(frozen=True)
class Proportions:
    """Two-proportion z-test of candidate vs control, with a Wald CI of the difference."""

    control: float
    candidate: float
    difference: Interval
    z: float
    p_value: float


def two_proportions(
    control_hits: int,
    control_n: int,
    candidate_hits: int,
    candidate_n: int,
    *,
    confidence: float = 0.99,
) -> Proportions:
    """Pooled z-test of ``candidate_hits/candidate_n - control_hits/control_n`` (two-sided)."""
    if control_n <= 0 or candidate_n <= 0:
        raise ValueError("no samples: both arms need at least one trial")
    for hits, n in ((control_hits, control_n), (candidate_hits, candidate_n)):
        if not 0 <= hits <= n:
            raise ValueError(f"{hits} successes out of {n} trials is not a proportion")
    p1, p2 = control_hits / control_n, candidate_hits / candidate_n
    pooled = (control_hits + candidate_hits) / (control_n + candidate_n)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / control_n + 1 / candidate_n))
    diff = p2 - p1
    if se_pooled == 0:
        # both arms all-hits or all-misses: the same proportion, nothing to test
        z, p_value = 0.0, 1.0
    else:
        z = diff / se_pooled
        p_value = float(2 * scipy_stats.norm.sf(abs(z)))
    se_wald = math.sqrt(p1 * (1 - p1) / control_n + p2 * (1 - p2) / candidate_n)
    half = float(scipy_stats.norm.ppf(1 - (1 - confidence) / 2)) * se_wald
    return Proportions(p1, p2, Interval(diff, diff - half, diff + half, confidence), z, p_value)


@dataclass(frozen=True)
class SampleCheck:
    """Whether every arm has the samples a verdict needs."""

    counts: dict[str, int]
    required: int

    @property
    def enough(self) -> bool:
        return all(n >= self.required for n in self.counts.values())

    def describe(self) -> str:
        counts = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return f"n={counts}; need {self.required} per arm"


def check_samples(counts: dict[str, int], required: int) -> SampleCheck:
    return SampleCheck(dict(counts), required)
