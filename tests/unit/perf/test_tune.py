"""The tuner's decisions against FAKE measurement functions (no server): served-config dedup,
percentiles over all requests, SLO eligibility with a noise band, repeats until separated,
the current config kept when within noise, and no pick when nothing meets the SLO."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tritonops.errors import PerfError
from tritonops.model_config import DynamicBatching, ModelConfig
from tritonops.perf.results import Reading, percentile
from tritonops.perf.tune import (
    MIN_REPEATS,
    Candidate,
    LevelStats,
    SearchSpace,
    load_levels,
    plan,
    seed_candidate,
    tune,
)
from tritonops.perf.tune_live import apply_to_project, entry_fields

SPACE = SearchSpace(max_batch_size=(8, 16), queue_delay_us=(0, 500), instances=(1, 2))
CONFIG = ModelConfig(name="m", max_batch_size=8)


def _true_throughput(c: Candidate) -> float:
    """Batching pays most, then a second instance; preferred sizes and delay barely matter."""
    per_exec = min(c.max_batch_size, 16) if c.dynamic_batching else 1
    return 200.0 * per_exec * (1 + 0.2 * (c.instances - 1))


def fake_measurer(
    latency_ms: float | dict[Candidate, float] | None = None,
    noise: float = 0.0,
    seed: int = 0,
    throughput: Callable[[Candidate], float] = _true_throughput,
) -> tuple[list[tuple[Candidate, int, int]], object]:
    """A fake measurement: throughput from ``_true_throughput`` (or ``throughput``), latency
    growing with concurrency (Little's law) unless fixed by ``latency_ms``; ``noise`` is the
    relative spread of each reading. Returns the list of calls it saw, and the measurer."""
    rng = random.Random(seed)
    calls: list[tuple[Candidate, int, int]] = []

    def fake(c: Candidate, concurrency: int, windows: int) -> Reading:
        calls.append((c, concurrency, windows))
        tput = throughput(c) * (1 + rng.uniform(-noise, noise))
        if isinstance(latency_ms, dict):
            mean_us = latency_ms[c] * 1000
        elif latency_ms is not None:
            mean_us = latency_ms * 1000
        else:
            mean_us = 1e6 * concurrency / tput
        lat = tuple(mean_us * (0.8 + 0.4 * i / 199) for i in range(200))
        return Reading(tput, lat)

    return calls, fake


def test_an_empty_preferred_list_and_max_batch_size_are_one_served_config() -> None:
    # core src/model_config_utils.cc fills an empty preferred_batch_size with [max_batch_size]
    assert Candidate(8, True, 0, ()).normalized() == Candidate(8, True, 0, (8,)).normalized()
    # Triton keeps the sizes as a set: order and repeats do not matter
    assert Candidate(8, True, 0, (8, 4, 4)).normalized() == Candidate(8, True, 0, (4, 8))
    # without a dynamic batcher, delay and sizes are not served at all
    assert Candidate(8, False, 500, (8,)).normalized() == Candidate(8, False)
    served = ModelConfig(
        name="m", max_batch_size=8, dynamic_batching=DynamicBatching(preferred_batch_size=[8])
    )
    assert Candidate.of(served) == Candidate(8, True, 0, ()).normalized()
    grid = SPACE.grid(Candidate.of(CONFIG))
    assert len(grid) == len(set(grid))
    # "none" and "max" preferred spellings collapsed: 2 sizes x 2 instances x (1 + 2 delays x 2)
    assert len(grid) == 2 * 2 * (1 + 2 * 2)


def test_no_served_config_is_screened_twice() -> None:
    calls, fake = fake_measurer()
    result = tune(CONFIG, fake, budget=60, space=SPACE)  # type: ignore[arg-type]
    screened = [t.candidate for t in result.trials if t.phase == "search"]
    assert len(screened) == len(set(screened))
    assert all(c == c.normalized() for c in screened)
    assert len(calls) == len(result.trials)


def test_percentiles_are_over_all_requests_not_a_mean_of_window_p99s() -> None:
    quiet = Reading(100.0, tuple([1000.0] * 100))
    spiky = Reading(100.0, tuple([1000.0] * 95 + [50_000.0] * 5))
    level = LevelStats(4, [quiet, spiky])
    pooled = percentile([*quiet.latencies_us, *spiky.latencies_us], 99)
    assert level.p99_us == pytest.approx(pooled)
    mean_of_p99s = (quiet.percentile(99) + spiky.percentile(99)) / 2
    assert level.p99_us != pytest.approx(mean_of_p99s)
    assert level.p99_high_us == max(pooled, spiky.percentile(99))


def test_a_p99_that_meets_the_slo_only_on_average_is_not_eligible() -> None:
    fast = Candidate(16, True, 0, (16,), 2)
    # every repeat of ``fast`` alternates between a tail under and over the 10 ms SLO
    flips = iter(range(10_000))

    def fake_flaky(c: Candidate, concurrency: int, windows: int) -> Reading:
        tput = _true_throughput(c)
        if c.normalized() == fast:
            tail = 12_000.0 if next(flips) % 2 else 8_000.0
            return Reading(tput, tuple([5_000.0] * 98 + [tail] * 2))
        return Reading(tput, tuple([5_000.0] * 100))

    result = tune(CONFIG, fake_flaky, budget=80, space=SPACE, slo_p99_us=10_000)
    assert result.best is not None
    assert result.best != fast
    flaky = [f for f in result.finalists if f.candidate == fast]
    for f in flaky:
        assert f.best_level(10_000) is None


def test_nothing_meets_the_slo_gives_no_pick_and_the_closest() -> None:
    _, fake = fake_measurer(latency_ms=20.0)
    result = tune(CONFIG, fake, budget=40, space=SPACE, slo_p99_us=10_000)  # type: ignore[arg-type]
    assert not result.met_slo
    assert result.best is None
    assert result.best_level is None
    closest = result.closest
    assert closest is not None
    assert closest[1].p99_high_us > 10_000


def test_no_pick_is_printed_without_the_word_best() -> None:
    from tritonops.cli.perf import result_lines

    _, fake = fake_measurer(latency_ms=20.0)
    result = tune(CONFIG, fake, budget=40, space=SPACE, slo_p99_us=10_000)  # type: ignore[arg-type]
    text = "\n".join(result_lines(result))
    assert "no configuration meets p99 <= 10 ms" in text
    assert "closest:" in text
    assert "best" not in text.lower()


def test_finalists_are_measured_at_every_load_level_and_the_best_slo_level_reported() -> None:
    # latency grows with concurrency (Little's law): the top levels miss a tight SLO
    _, fake = fake_measurer()
    levels = load_levels(16)
    assert levels == (4, 8, 16, 32)
    result = tune(CONFIG, fake, budget=60, space=SPACE, slo_p99_us=6_000)  # type: ignore[arg-type]
    finals = [t for t in result.trials if t.phase == "final"]
    for f in result.finalists:
        assert {t.concurrency for t in finals if t.candidate == f.candidate} == set(levels)
        assert all(len(lv.readings) >= MIN_REPEATS for lv in f.levels.values())
    assert result.best_level is not None
    assert result.best_level.p99_high_us <= 6_000
    best = next(f for f in result.finalists if f.candidate == result.best)
    meeting = [lv for lv in best.levels.values() if lv.meets(6_000)]
    assert result.best_level.throughput == max(lv.throughput for lv in meeting)
    assert any(not lv.meets(6_000) for lv in best.levels.values())


def _distinct(c: Candidate) -> float:
    """Served configs with different throughputs (2 % and more apart near the top)."""
    bonus = 1 + 0.02 * (c.queue_delay_us // 500) + 0.002 * sum(c.preferred)
    return _true_throughput(c) * bonus


def test_clearly_separated_finalists_stop_after_the_minimum_repeats() -> None:
    _, fake = fake_measurer(noise=0.002, throughput=_distinct)
    result = tune(CONFIG, fake, budget=200, space=SPACE)  # type: ignore[arg-type]
    finals = [t for t in result.trials if t.phase == "final"]
    # every finalist at every level, MIN_REPEATS times, then the leader stood apart
    assert len(finals) == MIN_REPEATS * len(result.finalists) * len(result.load_levels)
    assert result.within_noise == []
    assert result.best == max((f.candidate for f in result.finalists), key=_distinct)


# three served configs: no batching (the current one), and two batching twins
TINY = SearchSpace(
    max_batch_size=(8,), queue_delay_us=(0,), preferred=("max", "half+max"), instances=(1,)
)
TWIN_A = Candidate(8, True, 0, (8,), 1)
TWIN_B = Candidate(8, True, 0, (4, 8), 1)


def test_indistinguishable_finalists_are_repeated_then_called_within_noise() -> None:
    def twins(c: Candidate) -> float:
        return 3000.0 if c.dynamic_batching else 500.0

    _, fake = fake_measurer(noise=0.1, throughput=twins, latency_ms=1.0)
    result = tune(CONFIG, fake, budget=120, space=TINY)  # type: ignore[arg-type]
    assert {f.candidate for f in result.finalists} == {Candidate.of(CONFIG), TWIN_A, TWIN_B}
    finals = [t for t in result.trials if t.candidate in (TWIN_A, TWIN_B) and t.phase == "final"]
    assert len(finals) / (2 * len(result.load_levels)) > MIN_REPEATS  # repeated while overlapping
    assert result.best in (TWIN_A, TWIN_B)
    assert result.within_noise == [TWIN_B if result.best == TWIN_A else TWIN_A]


def test_a_winner_within_noise_of_the_current_config_keeps_the_current_config() -> None:
    current = Candidate(8, True, 0, (8,), 1)
    config = ModelConfig(
        name="m", max_batch_size=8, dynamic_batching=DynamicBatching(preferred_batch_size=[8])
    )
    assert Candidate.of(config) == current
    _, fake = fake_measurer(noise=0.2, throughput=lambda c: 1000.0, latency_ms=1.0, seed=3)
    result = tune(config, fake, budget=80, space=SPACE)  # type: ignore[arg-type]
    assert result.best == current
    assert result.kept_current or not result.within_noise


@pytest.mark.parametrize("budget", [6, 9, 13, 40, 60])
def test_any_budget_is_respected(budget: int) -> None:
    _, fake = fake_measurer()
    result = tune(CONFIG, fake, budget=budget, space=SPACE)  # type: ignore[arg-type]
    assert result.measurements <= budget
    assert sum(t.windows for t in result.trials) == result.measurements
    assert result.best is not None
    assert result.best.dynamic_batching


def test_a_budget_too_small_for_a_noise_band_is_refused() -> None:
    _, fake = fake_measurer()
    with pytest.raises(PerfError, match="raise --budget"):
        tune(CONFIG, fake, budget=5)  # type: ignore[arg-type]
    assert plan(60, 3, (4, 8, 16, 32)) == (3, (4, 8, 16, 32))
    k, levels = plan(13, 3, (4, 8, 16, 32))
    assert 2 + MIN_REPEATS * k * len(levels) <= 13


def test_seed_is_batching_with_power_of_two_sizes_and_a_delay() -> None:
    base = Candidate.of(CONFIG)
    assert not base.dynamic_batching
    assert seed_candidate(base, SPACE) == Candidate(8, True, 500, (4, 8), 1)
    unbatched = Candidate.of(ModelConfig(name="m", max_batch_size=0))
    assert seed_candidate(unbatched, SPACE) == unbatched


PROJECT = """\
models:
  - name: m
    kind: python
    source: models/m
    max_batch_size: 8
    dynamic_batching: { max_queue_delay_microseconds: 100 }   # tuned by hand
    instance_group: [{ kind: KIND_CPU, count: 1 }]
"""


def test_the_current_config_gives_an_empty_diff(tmp_path: Path) -> None:
    project = tmp_path / "tritonops.yaml"
    project.write_text(PROJECT)
    served = ModelConfig(
        name="m",
        max_batch_size=8,
        dynamic_batching=DynamicBatching(
            max_queue_delay_microseconds=100, preferred_batch_size=[8]
        ),
    )
    current = Candidate.of(served)
    assert "preferred_batch_size" not in entry_fields(current, served)["dynamic_batching"]
    diff, _ = apply_to_project(project, "m", current, served, write=False)
    assert diff == ""
    other = Candidate(8, True, 500, (4, 8), 2)
    diff, _ = apply_to_project(project, "m", other, served, write=False)
    assert "+    max_queue_delay_microseconds: 500" in diff or "500" in diff
    assert project.read_text() == PROJECT  # nothing written without --write
