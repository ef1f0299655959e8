"""``tune``: the batching and instance settings that give the most throughput within a p99 SLO.

The search has three phases, all paid from one budget counted in measurement windows (a
measurement of k windows costs k):

1. **Seed.** The model's current config and a sensible batching default (dynamic batching on, the
   model's max batch size, power-of-two preferred sizes, the smallest non-zero queue delay) are
   both measured; the better one starts the search.
2. **Coordinate ascent**, most influential settings first: dynamic batching and max batch size,
   then the instance count, then queue delay and preferred sizes. Each untried neighbour of the
   incumbent is measured once (one window) and the incumbent moves to the best pooled estimate
   (every candidate's measurements are kept, so one seen twice is judged on both).
3. **Finals.** About a third of the budget is held back (more when the ascent converges early):
   the best few candidates seen so far are re-measured with longer measurements, interleaved in
   rounds, the weakest dropping out after each round. This machine drifts by tens of % between
   rounds, so finalists are compared only on these side-by-side measurements, never on the
   one-window screening ones.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from tritonops.errors import PerfError
from tritonops.model_config import DynamicBatching, InstanceGroup, InstanceKind, ModelConfig

# (candidate, windows) -> (throughput infer/s, p99 µs)
Measurer = Callable[["Candidate", int], tuple[float, float]]


@dataclass(frozen=True)
class Candidate:
    max_batch_size: int
    dynamic_batching: bool
    queue_delay_us: int = 0
    preferred: tuple[int, ...] = ()
    instances: int = 1

    def normalized(self) -> Candidate:
        """Equal configs compare equal: without a dynamic batcher, delay and sizes mean nothing."""
        if not self.dynamic_batching:
            return replace(self, queue_delay_us=0, preferred=())
        return replace(self, preferred=tuple(p for p in self.preferred if p <= self.max_batch_size))

    @classmethod
    def of(cls, config: ModelConfig) -> Candidate:
        db = config.dynamic_batching
        count = sum(g.count or 1 for g in config.instance_group) or 1
        return cls(
            max_batch_size=config.max_batch_size,
            dynamic_batching=db is not None,
            queue_delay_us=db.max_queue_delay_microseconds if db else 0,
            preferred=tuple(db.preferred_batch_size) if db else (),
            instances=count,
        ).normalized()

    def apply(self, config: ModelConfig) -> ModelConfig:
        kind = config.instance_group[0].kind if config.instance_group else InstanceKind.KIND_CPU
        batching = None
        if self.dynamic_batching:
            base = config.dynamic_batching or DynamicBatching()
            batching = base.model_copy(
                update={
                    "max_queue_delay_microseconds": self.queue_delay_us,
                    "preferred_batch_size": list(self.preferred),
                }
            )
        return config.model_copy(
            update={
                "max_batch_size": self.max_batch_size,
                "dynamic_batching": batching,
                "instance_group": [InstanceGroup(kind=kind, count=self.instances)],
            }
        )

    def describe(self) -> str:
        if not self.dynamic_batching:
            batching = "no dynamic batching"
        else:
            pref = list(self.preferred)
            batching = f"dynamic batching (delay {self.queue_delay_us} µs, preferred {pref})"
        return f"max_batch_size {self.max_batch_size}, {batching}, {self.instances} instance(s)"


@dataclass(frozen=True)
class SearchSpace:
    """The values each setting may take; the grid benchmark walks the same space exhaustively."""

    max_batch_size: Sequence[int] = (8, 16, 32, 64)
    queue_delay_us: Sequence[int] = (0, 100, 500, 2000)
    preferred: Sequence[str] = ("none", "max", "half+max")  # relative to max_batch_size
    instances: Sequence[int] = (1, 2, 4)

    def preferred_sizes(self, kind: str, mbs: int) -> tuple[int, ...]:
        return {"none": (), "max": (mbs,), "half+max": tuple(sorted({max(1, mbs // 2), mbs}))}[kind]

    def grid(self, base: Candidate) -> list[Candidate]:
        seen: dict[Candidate, None] = {}
        for mbs, inst in itertools.product(self._sizes(base), self.instances):
            seen[Candidate(mbs, False, instances=inst).normalized()] = None
            for delay, pref in itertools.product(self.queue_delay_us, self.preferred):
                c = Candidate(mbs, True, delay, self.preferred_sizes(pref, mbs), inst)
                seen[c.normalized()] = None
        return list(seen)

    def _sizes(self, base: Candidate) -> list[int]:
        # a batching model keeps batching; an unbatched one (0) cannot change its request shape
        if base.max_batch_size == 0:
            return [0]
        return sorted({base.max_batch_size, *self.max_batch_size})

    def neighbours(self, c: Candidate, setting: str) -> list[Candidate]:
        """``c`` and every candidate differing from it in ``setting`` only."""
        if c.max_batch_size == 0 and setting in ("dynamic", "max_batch_size", "preferred"):
            return [c]
        if setting == "dynamic":
            out = [replace(c, dynamic_batching=v) for v in (False, True)]
        elif setting == "max_batch_size":
            out = [replace(c, max_batch_size=m) for m in self._sizes(c)]
        elif setting == "queue_delay_us" and c.dynamic_batching:
            out = [
                replace(c, queue_delay_us=d)
                for d in sorted({c.queue_delay_us, *self.queue_delay_us})
            ]
        elif setting == "preferred" and c.dynamic_batching:
            out = [c] + [
                replace(c, preferred=self.preferred_sizes(p, c.max_batch_size))
                for p in self.preferred
            ]
        elif setting == "instances":
            out = [replace(c, instances=i) for i in sorted({c.instances, *self.instances})]
        else:
            out = [c]
        return list(dict.fromkeys(x.normalized() for x in out))


# the order coordinate ascent walks: the most influential settings first
SETTINGS = ("dynamic", "max_batch_size", "instances", "queue_delay_us", "preferred")

FINALISTS = 3  # the elite re-measured in the finals
FINAL_WINDOWS = 2  # windows per finals measurement (when the budget allows)


@dataclass(frozen=True)
class Trial:
    candidate: Candidate
    windows: int
    throughput: float
    p99_us: float
    phase: str = "search"  # "search" or "final"


@dataclass
class TuneResult:
    baseline: Candidate
    best: Candidate
    best_throughput: float
    best_p99_us: float
    slo_p99_us: float | None
    measurements: int  # windows spent
    trials: list[Trial] = field(default_factory=list)
    finalists: list[Candidate] = field(default_factory=list)


def _score(throughput: float, p99_us: float, slo_us: float | None) -> tuple[int, float]:
    # any config meeting the SLO beats every one missing it; among misses, lower p99 wins
    if slo_us is None or p99_us <= slo_us:
        return (1, throughput)
    return (0, -p99_us)


def _pooled(trials: Sequence[Trial]) -> tuple[float, float]:
    """Window-weighted mean throughput and p99 of several measurements of one candidate."""
    total = sum(t.windows for t in trials)
    return (
        sum(t.throughput * t.windows for t in trials) / total,
        sum(t.p99_us * t.windows for t in trials) / total,
    )


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
    """The budget, every trial, and every candidate's measurements."""

    def __init__(
        self,
        measure: Measurer,
        budget: int,
        slo_us: float | None,
        on_trial: Callable[[Trial], None] | None,
    ) -> None:
        self.measure = measure
        self.total = budget
        self.used = 0
        self.slo_us = slo_us
        self.on_trial = on_trial
        self.trials: list[Trial] = []
        self.seen: dict[Candidate, list[Trial]] = {}

    def left(self) -> int:
        return self.total - self.used

    def run(self, candidate: Candidate, windows: int, phase: str = "search") -> Trial | None:
        if windows > self.left():
            return None
        self.used += windows
        tput, p99 = self.measure(candidate, windows)
        trial = Trial(candidate, windows, tput, p99, phase)
        self.trials.append(trial)
        self.seen.setdefault(candidate, []).append(trial)
        if self.on_trial is not None:
            self.on_trial(trial)
        return trial

    def score(self, candidate: Candidate) -> tuple[int, float]:
        return _score(*_pooled(self.seen[candidate]), self.slo_us)

    def best_of(self, candidates: Sequence[Candidate]) -> Candidate:
        return max((c for c in candidates if c in self.seen), key=self.score)

    def elite(self, k: int) -> list[Candidate]:
        return sorted(self.seen, key=self.score, reverse=True)[:k]


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
                    search.run(option, 1)
            winner = search.best_of(options)
            if winner != incumbent:
                incumbent, improved = winner, True
    return incumbent


def _finals(search: _Search, finalists: list[Candidate]) -> tuple[Candidate, float, float]:
    """Interleaved rounds of longer measurements of the elite; the weakest drops out after each
    round while more than two remain. Decided on the finals' measurements alone."""
    alive = list(finalists)
    windows = FINAL_WINDOWS if search.left() >= FINAL_WINDOWS * min(2, len(alive)) else 1
    while len(alive) > 2 and search.left() < windows * len(alive):
        alive.pop()  # the lowest-ranked finalist does not fit the budget
    results: dict[Candidate, list[Trial]] = {c: [] for c in alive}
    rounds = 0
    while len(alive) > 1 and search.left() >= windows * len(alive):
        # rotate the order every round: no finalist always runs first after a reload
        shift = rounds % len(alive)
        for c in alive[shift:] + alive[:shift]:
            trial = search.run(c, windows, "final")
            assert trial is not None  # the loop condition reserved the windows
            results[c].append(trial)
        rounds += 1
        alive.sort(key=lambda c: _score(*_pooled(results[c]), search.slo_us), reverse=True)
        if len(alive) > 2:
            alive.pop()
    if rounds == 0:  # no budget for a final round: the best pooled screening estimate
        best = search.best_of(alive)
        return best, *_pooled(search.seen[best])
    best = alive[0]  # everyone still alive ran every round; sorted by their finals
    return best, *_pooled(results[best])


def tune(
    config: ModelConfig,
    measure: Measurer,
    *,
    slo_p99_us: float | None = None,
    budget: int = 40,
    space: SearchSpace | None = None,
    on_trial: Callable[[Trial], None] | None = None,
    finalists: int = FINALISTS,
) -> TuneResult:
    """Search from ``config``'s current settings; ``measure`` loads and measures a candidate."""
    if budget < 2:
        raise PerfError(
            f"a budget of {budget} measurement(s) cannot compare any candidates (need >= 2)"
        )
    space = space or SearchSpace()
    baseline = Candidate.of(config)
    search = _Search(measure, budget, slo_p99_us, on_trial)
    # hold back about a third for the finals (half of a small budget), at least one window each
    reserve = budget // 3 if budget >= 12 else budget // 2
    reserve = max(reserve, min(finalists, budget - 2))
    seed = seed_candidate(baseline, space)
    for c in dict.fromkeys((baseline, seed)):
        search.run(c, 1)
    start = search.best_of([baseline, seed])
    _ascend(search, start, space, reserve)
    elite = search.elite(max(1, finalists))
    best, tput, p99 = _finals(search, elite)
    if math.isnan(tput):
        raise PerfError(f"the measurement of {best.describe()} returned no throughput")
    return TuneResult(
        baseline=baseline,
        best=best,
        best_throughput=tput,
        best_p99_us=p99,
        slo_p99_us=slo_p99_us,
        measurements=search.used,
        trials=search.trials,
        finalists=elite,
    )
