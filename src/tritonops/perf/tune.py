"""``tune``: the batching and instance settings that give the most throughput within a p99 SLO.

The search is paid from one budget counted in measurement windows (one window of one candidate
at one concurrency costs 1):

1. **Seed.** The model's current config and a sensible batching default (dynamic batching on, the
   model's max batch size, power-of-two preferred sizes, the smallest non-zero queue delay) are
   both measured; the better one starts the search.
2. **Screening by coordinate ascent** at one concurrency, most influential settings first:
   dynamic batching and max batch size, then the instance count, then queue delay and preferred
   sizes. Candidates are compared as the config Triton will serve (``Candidate.normalized``),
   so two spellings of one served config are measured once.
3. **Finals.** The current config and the best screened candidates are measured side by side at
   several load levels, in rounds (order rotating), at least ``MIN_REPEATS`` times each. Each
   finalist's latency percentiles are taken over all requests of all its repeats; its p99 noise
   band's upper end must meet the SLO for a level to count. Rounds go on until the leader's
   throughput range separates from every other eligible finalist's, or the budget ends; those
   still overlapping are reported as within noise. A leader within noise of the current config
   does not replace it.

When no finalist meets the SLO at any level, there is no pick: ``TuneResult.best`` is ``None``
and ``TuneResult.closest`` names the nearest miss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tritonops.errors import PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.candidates import Candidate, SearchSpace
from tritonops.perf.results import Reading, percentile

__all__ = ["Candidate", "Measurer", "SearchSpace", "TuneResult", "tune"]

# (candidate, concurrency, windows) -> a Reading: throughput and every request's latency
Measurer = Callable[[Candidate, int, int], Reading]


# the order coordinate ascent walks: the most influential settings first
SETTINGS = ("dynamic", "max_batch_size", "instances", "queue_delay_us", "preferred")

FINALISTS = 3  # finalists re-measured side by side (the current config is always one of them)
MIN_REPEATS = 2  # a noise band needs at least two readings per finalist and load level


@dataclass(frozen=True)
class Trial:
    """One measurement: a candidate at one concurrency for ``windows`` windows."""

    candidate: Candidate
    concurrency: int
    windows: int
    throughput: float
    p99_us: float  # of this measurement's own requests
    phase: str = "search"  # "search" or "final"


@dataclass
class LevelStats:
    """A finalist's repeated readings at one concurrency."""

    concurrency: int
    readings: list[Reading] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return sum(r.throughput for r in self.readings) / len(self.readings)

    @property
    def throughput_range(self) -> tuple[float, float]:
        values = [r.throughput for r in self.readings]
        return min(values), max(values)

    @property
    def p99_us(self) -> float:
        """The p99 over ALL requests of every repeat (not a mean of per-repeat p99s)."""
        return percentile([x for r in self.readings for x in r.latencies_us], 99)

    @property
    def p99_high_us(self) -> float:
        """The upper end of the p99's noise band: the worst of the pooled and per-repeat p99s."""
        return max([self.p99_us, *(r.percentile(99) for r in self.readings)])

    def meets(self, slo_us: float | None) -> bool:
        return slo_us is None or self.p99_high_us <= slo_us


@dataclass
class Finalist:
    """A candidate measured side by side with the others at every load level."""

    candidate: Candidate
    levels: dict[int, LevelStats]

    def best_level(self, slo_us: float | None) -> LevelStats | None:
        """The SLO-meeting level with the most throughput (``None``: no level meets it)."""
        meeting = [lv for lv in self.levels.values() if lv.readings and lv.meets(slo_us)]
        return max(meeting, key=lambda lv: lv.throughput, default=None)

    def closest_level(self) -> LevelStats:
        """The level whose p99 band comes nearest below any SLO (the lowest upper bound)."""
        return min((lv for lv in self.levels.values() if lv.readings), key=_p99_high)


def _p99_high(level: LevelStats) -> float:
    return level.p99_high_us


@dataclass
class TuneResult:
    baseline: Candidate
    best: Candidate | None  # None: no finalist met the SLO at any load level
    best_level: LevelStats | None
    slo_p99_us: float | None
    measurements: int  # windows spent
    load_levels: tuple[int, ...]
    trials: list[Trial] = field(default_factory=list)
    finalists: list[Finalist] = field(default_factory=list)
    # SLO-meeting finalists whose throughput range overlaps the pick's: not told apart
    within_noise: list[Candidate] = field(default_factory=list)
    # the top finalist was within noise of the current config, so the current config is kept
    kept_current: bool = False

    @property
    def met_slo(self) -> bool:
        return self.best is not None

    @property
    def closest(self) -> tuple[Candidate, LevelStats] | None:
        """When nothing met the SLO: the finalist and level with the lowest p99 upper bound."""
        if not self.finalists:
            return None
        nearest = min(self.finalists, key=lambda f: f.closest_level().p99_high_us)
        return nearest.candidate, nearest.closest_level()

    @property
    def best_throughput(self) -> float:
        return self.best_level.throughput if self.best_level else float("nan")

    @property
    def best_p99_us(self) -> float:
        return self.best_level.p99_us if self.best_level else float("nan")


def _score(reading: Reading, slo_us: float | None) -> tuple[int, float]:
    # screening: any config meeting the SLO beats every one missing it; among misses, lower p99
    p99 = reading.percentile(99)
    if slo_us is None or p99 <= slo_us:
        return (1, reading.throughput)
    return (0, -p99)


def _pooled(readings: Sequence[Reading]) -> Reading:
    """Several readings of one candidate as one: mean throughput, every request's latency."""
    return Reading(
        sum(r.throughput for r in readings) / len(readings),
        tuple(x for r in readings for x in r.latencies_us),
    )


def load_levels(concurrency: int) -> tuple[int, ...]:
    """The concurrencies finalists are compared at: a quarter, half, one and two times the
    screening concurrency (a config that wins at one load can lose at another)."""
    return tuple(sorted({max(1, concurrency // 4), max(1, concurrency // 2), concurrency,
                         2 * concurrency}))  # fmt: skip


def seed_candidate(base: Candidate, space: SearchSpace) -> Candidate:
    """Sensible batching defaults from the model: dynamic batching on, its max batch size,
    power-of-two preferred sizes, the smallest non-zero queue delay the space allows."""
    if base.max_batch_size == 0:
        return base  # an unbatched model cannot batch
    mbs = base.max_batch_size
    preferred: tuple[int, ...] = ()
    for kind in ("half+max", "max"):  # the most power-of-two sizes the space offers
        if kind in space.preferred:
            sizes = space.preferred_sizes(kind, mbs)
            if all(s & (s - 1) == 0 for s in sizes):
                preferred = sizes
                break
    delays = sorted(d for d in space.queue_delay_us if d > 0)
    delay = delays[0] if delays else 0
    return Candidate(mbs, True, delay, preferred, base.instances).normalized()


class _Search:
    """The budget, every trial, and every candidate's screening readings."""

    def __init__(
        self,
        measure: Measurer,
        budget: int,
        slo_us: float | None,
        concurrency: int,
        on_trial: Callable[[Trial], None] | None,
    ) -> None:
        self.measure = measure
        self.total = budget
        self.used = 0
        self.slo_us = slo_us
        self.concurrency = concurrency
        self.on_trial = on_trial
        self.trials: list[Trial] = []
        self.seen: dict[Candidate, list[Reading]] = {}

    def left(self) -> int:
        return self.total - self.used

    def run(self, candidate: Candidate, concurrency: int, windows: int, phase: str) -> Reading:
        self.used += windows
        reading = self.measure(candidate, concurrency, windows)
        if reading.throughput != reading.throughput:  # NaN
            raise PerfError(f"the measurement of {candidate.describe()} returned no throughput")
        trial = Trial(
            candidate, concurrency, windows, reading.throughput, reading.percentile(99), phase
        )
        self.trials.append(trial)
        if self.on_trial is not None:
            self.on_trial(trial)
        return reading

    def screen(self, candidate: Candidate) -> None:
        reading = self.run(candidate, self.concurrency, 1, "search")
        self.seen.setdefault(candidate, []).append(reading)

    def score(self, candidate: Candidate) -> tuple[int, float]:
        return _score(_pooled(self.seen[candidate]), self.slo_us)

    def best_of(self, candidates: Sequence[Candidate]) -> Candidate:
        return max((c for c in candidates if c in self.seen), key=self.score)

    def ranked(self) -> list[Candidate]:
        return sorted(self.seen, key=self.score, reverse=True)


def _ascend(search: _Search, start: Candidate, space: SearchSpace, reserve: int) -> Candidate:
    """Coordinate ascent from ``start`` while more than ``reserve`` windows are left."""
    incumbent = start
    improved = True
    while improved:
        improved = False
        for setting in SETTINGS:
            options = space.neighbours(incumbent, setting)
            if len(options) < 2:
                continue
            for option in options:
                if option not in search.seen:
                    if search.left() - 1 < reserve:
                        return incumbent
                    search.screen(option)
            winner = search.best_of(options)
            if winner != incumbent:
                incumbent, improved = winner, True
    return incumbent


def _separated(top: LevelStats, other: LevelStats | None) -> bool:
    """``top`` beats ``other`` beyond noise: its lowest reading exceeds the other's highest."""
    return other is None or top.throughput_range[0] > other.throughput_range[1]


def _finals(search: _Search, finalists: list[Candidate], levels: Sequence[int]) -> list[Finalist]:
    """Rounds in which every finalist still in play is measured at every load level, the order
    rotating each round. After ``MIN_REPEATS`` rounds, a finalist that meets the SLO nowhere, or
    whose best throughput range lies wholly below the leader's, drops out; rounds continue while
    the leader is not yet separated from someone and the budget allows."""
    out = [Finalist(c, {lv: LevelStats(lv) for lv in levels}) for c in finalists]
    alive = list(out)
    rounds = 0
    while alive and search.left() >= len(alive) * len(levels):
        if rounds >= MIN_REPEATS and len(alive) == 1:
            break  # the leader stands apart from everyone (or stood alone)
        shift = rounds % len(alive)
        for f in alive[shift:] + alive[:shift]:
            for lv in levels:
                f.levels[lv].readings.append(search.run(f.candidate, lv, 1, "final"))
        rounds += 1
        if rounds < MIN_REPEATS:
            continue
        ranked = _ranked(alive, search.slo_us)
        if not ranked:
            break  # nothing meets the SLO: more repeats only widen the bands
        top = ranked[0]
        top_level = top.best_level(search.slo_us)
        assert top_level is not None
        alive = [top] + [
            f for f in ranked[1:] if not _separated(top_level, f.best_level(search.slo_us))
        ]
    return out


def _ranked(finalists: Sequence[Finalist], slo_us: float | None) -> list[Finalist]:
    """The finalists meeting the SLO at some level, most throughput (at that level) first."""
    eligible = [(f, f.best_level(slo_us)) for f in finalists]
    return [
        f
        for f, lv in sorted(
            ((f, lv) for f, lv in eligible if lv is not None),
            key=lambda pair: pair[1].throughput,
            reverse=True,
        )
    ]


def plan(budget: int, finalists: int, levels: Sequence[int]) -> tuple[int, tuple[int, ...]]:
    """How many finalists and which load levels ``budget`` affords: two screening windows
    (current config and seed), then ``MIN_REPEATS`` rounds of every finalist at every level in at
    most half of the rest, so the screening search keeps the other half. Fewer finalists first,
    then fewer levels (keeping the middle ones); a small budget gives the finals what it has."""
    k, lv = max(2, finalists), list(levels)
    rest = budget - 2

    def cost() -> int:
        return MIN_REPEATS * k * len(lv)

    while cost() > rest // 2 and (k > 2 or len(lv) > 1):
        if k > 2:
            k -= 1
        else:
            lv.pop(0 if len(lv) % 2 == 0 else -1)
    if cost() > rest:
        need = 2 + MIN_REPEATS * 2
        raise PerfError(
            f"a budget of {budget} measurement window(s) cannot compare two configs with a "
            f"noise band (need >= {need}: two screenings and {MIN_REPEATS} repeats of two "
            "finalists) — raise --budget"
        )
    return k, tuple(lv)


def tune(
    config: ModelConfig,
    measure: Measurer,
    *,
    slo_p99_us: float | None = None,
    budget: int = 60,
    concurrency: int = 16,
    levels: Sequence[int] | None = None,
    space: SearchSpace | None = None,
    on_trial: Callable[[Trial], None] | None = None,
    finalists: int = FINALISTS,
) -> TuneResult:
    """Search from ``config``'s current settings; ``measure`` loads and measures a candidate.

    A finalist is eligible only where the upper end of its p99 band meets the SLO; when none is,
    ``result.best`` is ``None`` and ``result.closest`` names the nearest miss."""
    space = space or SearchSpace()
    k, use_levels = plan(budget, finalists, levels or load_levels(concurrency))
    baseline = Candidate.of(config)
    search = _Search(measure, budget, slo_p99_us, concurrency, on_trial)
    reserve = MIN_REPEATS * k * len(use_levels)
    seed = seed_candidate(baseline, space)
    for c in dict.fromkeys((baseline, seed)):
        search.screen(c)
    _ascend(search, search.best_of([baseline, seed]), space, reserve)
    chosen = [baseline, *[c for c in search.ranked() if c != baseline][: k - 1]]
    measured = _finals(search, chosen, use_levels)
    ranked = _ranked(measured, slo_p99_us)
    result = TuneResult(
        baseline=baseline,
        best=None,
        best_level=None,
        slo_p99_us=slo_p99_us,
        measurements=search.used,
        load_levels=use_levels,
        trials=search.trials,
        finalists=measured,
    )
    if not ranked:
        return result
    top = ranked[0]
    top_level = top.best_level(slo_p99_us)
    assert top_level is not None
    result.within_noise = [
        f.candidate for f in ranked[1:] if not _separated(top_level, f.best_level(slo_p99_us))
    ]
    pick = top
    if top.candidate != baseline and baseline in result.within_noise:
        # not told apart from the current config: recommending a change would be a guess
        pick = next(f for f in ranked if f.candidate == baseline)
        result.kept_current = True
    result.best = pick.candidate
    result.best_level = pick.best_level(slo_p99_us)
    return result
