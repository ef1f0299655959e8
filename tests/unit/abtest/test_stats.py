"""The statistics against scipy on known data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from tritonops.abtest.stats import (
    bootstrap_difference,
    bootstrap_differences,
    check_samples,
    mann_whitney,
    percentiles,
    two_proportions,
)

KNOWN = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])


def test_percentiles_interpolate_linearly() -> None:
    assert percentiles(KNOWN) == pytest.approx({"p50": 5.5, "p95": 9.55, "p99": 9.91})


def test_mann_whitney_matches_scipy() -> None:
    control = [1.1, 2.3, 2.9, 4.0, 5.2, 6.1]
    candidate = [3.5, 4.4, 5.9, 7.2, 8.8, 9.1, 9.9]
    ours = mann_whitney(control, candidate)
    theirs = scipy_stats.mannwhitneyu(candidate, control, method="asymptotic")
    assert ours.u == pytest.approx(theirs.statistic)
    assert ours.p_value == pytest.approx(theirs.pvalue)
    assert ours.prob_candidate_slower == pytest.approx(theirs.statistic / (6 * 7))
    assert ours.prob_candidate_slower > 0.5


def test_identical_constant_samples_show_no_shift() -> None:
    assert mann_whitney([2.0] * 5, [2.0] * 5).p_value == 1.0


def test_two_proportions_equals_chi_square_without_correction() -> None:
    ours = two_proportions(30, 400, 52, 410)
    chi2, p, _, _ = scipy_stats.chi2_contingency([[30, 370], [52, 358]], correction=False)
    assert ours.z**2 == pytest.approx(chi2)
    assert ours.p_value == pytest.approx(p)
    assert ours.difference.estimate == pytest.approx(52 / 410 - 30 / 400)
    assert ours.z > 0


def test_two_proportions_wald_interval() -> None:
    found = two_proportions(10, 100, 20, 100, confidence=0.95)
    se = np.sqrt(0.1 * 0.9 / 100 + 0.2 * 0.8 / 100)
    assert found.difference.low == pytest.approx(0.1 - 1.959964 * se, rel=1e-5)
    assert found.difference.high == pytest.approx(0.1 + 1.959964 * se, rel=1e-5)


def test_two_proportions_without_variation_is_not_significant() -> None:
    found = two_proportions(0, 50, 0, 80)
    assert found.p_value == 1.0
    assert found.difference.within(0.0)


@pytest.mark.parametrize(("hits", "n"), [(-1, 10), (11, 10), (0, 0)])
def test_two_proportions_rejects_impossible_counts(hits: int, n: int) -> None:
    with pytest.raises(ValueError, match=r"proportion|no samples"):
        two_proportions(hits, n, 1, 10)


def test_bootstrap_ci_covers_a_known_shift_and_excludes_zero() -> None:
    rng = np.random.default_rng(1)
    control = rng.normal(10.0, 1.0, size=2000)
    candidate = rng.normal(12.0, 1.0, size=2000)
    ci = bootstrap_difference(control, candidate, 50, confidence=0.99, rng=np.random.default_rng(2))
    assert ci.low < 2.0 < ci.high
    assert ci.excludes_zero()
    assert ci.estimate == pytest.approx(np.median(candidate) - np.median(control))


def test_bootstrap_ci_of_equal_arms_contains_zero() -> None:
    rng = np.random.default_rng(3)
    same = rng.exponential(5.0, size=1500)
    ci = bootstrap_difference(same, same.copy(), 95, rng=np.random.default_rng(4))
    assert ci.low <= 0.0 <= ci.high


def test_bootstrap_agrees_with_scipy_bootstrap() -> None:
    rng = np.random.default_rng(5)
    control = rng.lognormal(1.0, 0.5, size=400)
    candidate = rng.lognormal(1.2, 0.5, size=400)
    ours = bootstrap_differences(
        control, candidate, (50,), confidence=0.95, resamples=4000, rng=np.random.default_rng(6)
    )["p50"]
    theirs = scipy_stats.bootstrap(
        (candidate, control),
        lambda b, a, axis: np.median(b, axis=axis) - np.median(a, axis=axis),
        confidence_level=0.95,
        n_resamples=4000,
        method="percentile",
        rng=np.random.default_rng(7),
    ).confidence_interval
    width = theirs.high - theirs.low
    assert ours.low == pytest.approx(theirs.low, abs=0.15 * width)
    assert ours.high == pytest.approx(theirs.high, abs=0.15 * width)


def test_sample_check_names_every_count() -> None:
    check = check_samples({"control": 250, "candidate": 37}, 200)
    assert not check.enough
    assert check.describe() == "n=control 250, candidate 37; need 200 per arm"
    assert check_samples({"a": 200, "b": 200}, 200).enough
