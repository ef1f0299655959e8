"""``tune``: the batching and instance settings that give the most throughput within a p99 SLO.

The search is coordinate ascent over one setting at a time (dynamic batching on/off, max batch
size, queue delay, preferred sizes, instance count), starting from the model's current config.
Inside each coordinate the candidates race by successive halving: all are measured briefly, the
better half again for twice as long, and so on — the incumbent races too, so every decision
compares configs at the same load, interleaved in time (this machine drifts by tens of % between
rounds). The budget counts measurement windows: a measurement of k windows costs k.
"""

from __future__ import annotations

import itertools
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


SETTINGS = ("dynamic", "max_batch_size", "queue_delay_us", "preferred", "instances")


@dataclass(frozen=True)
class Trial:
    candidate: Candidate
    windows: int
    throughput: float
    p99_us: float


@dataclass
class TuneResult:
    baseline: Candidate
    best: Candidate
    best_throughput: float
    best_p99_us: float
    slo_p99_us: float | None
    measurements: int  # windows spent
    trials: list[Trial] = field(default_factory=list)


def _score(throughput: float, p99_us: float, slo_us: float | None) -> tuple[int, float]:
    # any config meeting the SLO beats every one missing it; among misses, lower p99 wins
    if slo_us is None or p99_us <= slo_us:
        return (1, throughput)
    return (0, -p99_us)


class _Budget:
    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def take(self, windows: int) -> bool:
        if self.used + windows > self.total:
            return False
        self.used += windows
        return True


def _race(
    candidates: list[Candidate],
    measure: Measurer,
    budget: _Budget,
    slo_us: float | None,
    trials: list[Trial],
) -> tuple[Candidate, Trial] | None:
    """Successive halving; the survivor and its longest measurement (None if no budget)."""
    alive, windows = list(candidates), 1
    last: dict[Candidate, Trial] = {}
    while alive:
        results: dict[Candidate, Trial] = {}
        for c in alive:
            if not budget.take(windows):
                break
            tput, p99 = measure(c, windows)
            results[c] = Trial(c, windows, tput, p99)
            trials.append(results[c])
        if len(results) < len(alive):  # the budget ran out mid-rung: decide on what we have
            results = {c: results.get(c) or last[c] for c in alive if c in results or c in last}
            if not results:
                return None
            best = max(results.values(), key=lambda t: _score(t.throughput, t.p99_us, slo_us))
            return best.candidate, best
        last = results
        ranked = sorted(
            alive,
            key=lambda c: _score(results[c].throughput, results[c].p99_us, slo_us),
            reverse=True,
        )
        if len(ranked) == 1:
            return ranked[0], results[ranked[0]]
        alive, windows = ranked[: max(1, len(ranked) // 2)], windows * 2
    return None


def tune(
    config: ModelConfig,
    measure: Measurer,
    *,
    slo_p99_us: float | None = None,
    budget: int = 40,
    space: SearchSpace | None = None,
    on_trial: Callable[[Trial], None] | None = None,
) -> TuneResult:
    """Search from ``config``'s current settings; ``measure`` loads and measures a candidate."""
    if budget < 1:
        raise PerfError(f"the budget must be at least one measurement (got {budget})")
    space = space or SearchSpace()
    incumbent = Candidate.of(config)
    spent = _Budget(budget)
    trials: list[Trial] = []
    best_trial: Trial | None = None
    improved = True
    while improved and spent.used < spent.total:
        improved = False
        for setting in SETTINGS:
            options = space.neighbours(incumbent, setting)
            if len(options) < 2:
                continue
            before = len(trials)
            outcome = _race(options, measure, spent, slo_p99_us, trials)
            if on_trial is not None:
                for trial in trials[before:]:
                    on_trial(trial)
            if outcome is None:
                break
            winner, trial = outcome
            if winner != incumbent:
                improved = True
            incumbent, best_trial = winner, trial
    if best_trial is None:
        raise PerfError(f"a budget of {budget} measurement(s) cannot compare any candidates")
    return TuneResult(
        baseline=Candidate.of(config),
        best=incumbent,
        best_throughput=best_trial.throughput,
        best_p99_us=best_trial.p99_us,
        slo_p99_us=slo_p99_us,
        measurements=spent.used,
        trials=trials,
    )
