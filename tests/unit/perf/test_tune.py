"""The tuner's search against fake objectives (no server): seeding, the budget, and finals that
re-measure the elite so one lucky screening measurement cannot decide the winner."""

from __future__ import annotations

import random

import pytest

from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.tune import Candidate, SearchSpace, seed_candidate, tune

SPACE = SearchSpace(max_batch_size=(8, 16), queue_delay_us=(0, 500), instances=(1, 2))


def _true(c: Candidate) -> float:
    """Batching pays most, then a second instance, then a longer delay and preferred [max]."""
    per_exec = min(c.max_batch_size, 16) if c.dynamic_batching else 1
    tput = 200.0 * per_exec * (1 + 0.2 * (c.instances - 1))
    if c.dynamic_batching:
        tput *= 1.02 if c.queue_delay_us == 500 else 1.0
        tput *= {(c.max_batch_size,): 1.08, (c.max_batch_size // 2, c.max_batch_size): 1.04}.get(
            c.preferred, 1.0
        )
    return tput


BEST = Candidate(16, True, 500, (16,), 2)  # the unique optimum of _true in SPACE
LUCKY = Candidate(16, True, 500, (8, 16), 2)  # 4 % worse, but its first measurement reads +15 %


def test_the_true_optimum_is_unique_in_the_space() -> None:
    grid = SPACE.grid(Candidate.of(ModelConfig(name="m", max_batch_size=8)))
    ranked = sorted(grid, key=_true, reverse=True)
    assert ranked[0] == BEST
    assert _true(ranked[1]) < _true(BEST)


def test_seed_is_batching_with_power_of_two_sizes_and_a_delay() -> None:
    base = Candidate.of(ModelConfig(name="m", max_batch_size=8))
    assert not base.dynamic_batching
    assert seed_candidate(base, SPACE) == Candidate(8, True, 500, (4, 8), 1)
    unbatched = Candidate.of(ModelConfig(name="m", max_batch_size=0))
    assert seed_candidate(unbatched, SPACE) == unbatched


def test_finalists_are_re_measured_so_a_lucky_screening_does_not_win() -> None:
    config = ModelConfig(name="m", max_batch_size=8)
    first: dict[Candidate, float] = {}

    def deceptive(c: Candidate, windows: int) -> tuple[float, float]:
        tput = _true(c)
        if c not in first:  # the first (screening) measurement of these two is off
            tput *= {LUCKY: 1.15, BEST: 0.97}.get(c, 1.0)
            first[c] = tput
        return tput, 1e6 * 16 / tput

    result = tune(config, deceptive, budget=30, space=SPACE)
    # screening alone would have picked the lucky one...
    assert max(first, key=lambda c: first[c]) == LUCKY
    # ...the finals, measured longer and side by side, pick the real optimum
    assert result.best == BEST
    assert {LUCKY, BEST} <= set(result.finalists)
    finals = [t for t in result.trials if t.phase == "final"]
    assert finals
    assert all(t.windows >= 2 for t in finals)
    assert result.best_throughput == pytest.approx(_true(BEST))
    assert result.measurements <= 30


def test_under_random_noise_the_pick_is_near_the_optimum() -> None:
    config = ModelConfig(name="m", max_batch_size=8)
    grid = SPACE.grid(Candidate.of(config))
    best = max(_true(c) for c in grid)
    picks = []
    for seed in range(10):
        rng = random.Random(seed)

        def noisy(c: Candidate, windows: int, rng: random.Random = rng) -> tuple[float, float]:
            tput = _true(c) * (1 + rng.gauss(0, 0.06) / windows**0.5)
            return tput, 1e6 * 16 / tput

        # a third of what the grid would cost at two windows per point
        result = tune(config, noisy, budget=2 * len(grid) // 3, space=SPACE)
        assert result.measurements <= 2 * len(grid) // 3
        picks.append(_true(result.best) / best)
    assert min(picks) >= 0.9
    assert sum(p >= 0.95 for p in picks) >= 8


@pytest.mark.parametrize("budget", [2, 3, 5, 8, 13, 40])
def test_any_budget_is_respected_and_gives_a_batching_answer(budget: int) -> None:
    config = ModelConfig(name="m", max_batch_size=8)
    result = tune(config, lambda c, _w: (_true(c), 1000.0), budget=budget, space=SPACE)
    assert result.measurements <= budget
    assert result.best.dynamic_batching  # the seed alone already finds batching
    assert sum(t.windows for t in result.trials) == result.measurements


def test_a_budget_too_small_to_compare_is_refused() -> None:
    with pytest.raises(PerfError, match="cannot compare"):
        tune(ModelConfig(name="m", max_batch_size=8), lambda c, _w: (1.0, 1.0), budget=1)


def test_slo_misses_lose_to_any_hit() -> None:
    config = ModelConfig(name="m", max_batch_size=8)

    def fake(c: Candidate, _w: int) -> tuple[float, float]:
        # the more batching, the more throughput and the longer the tail
        return _true(c), 100.0 * (c.max_batch_size if c.dynamic_batching else 1)

    result = tune(config, fake, budget=30, space=SPACE, slo_p99_us=900)
    assert result.best_p99_us <= 900
    assert result.best.max_batch_size == 8
