"""``compare``: a new measurement against a baseline, level by level; regressions flagged."""

from __future__ import annotations

from dataclasses import dataclass, field

from tritonops.errors import PerfError
from tritonops.perf.results import PerfResult


@dataclass(frozen=True)
class LevelDelta:
    load: float
    base_throughput: float
    new_throughput: float
    base_p99_us: float
    new_p99_us: float

    @property
    def throughput_change(self) -> float:
        """Relative change, e.g. -0.08 for 8 % fewer inferences/s."""
        return self.new_throughput / self.base_throughput - 1 if self.base_throughput else 0.0

    @property
    def p99_change(self) -> float:
        return self.new_p99_us / self.base_p99_us - 1 if self.base_p99_us else 0.0


@dataclass(frozen=True)
class Comparison:
    levels: list[LevelDelta]
    max_throughput_drop: float
    max_p99_rise: float
    regressions: list[str] = field(default_factory=list)

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def markdown(self) -> str:
        rows = [
            "| load | throughput base → new (infer/s) | Δ | p99 base → new (ms) | Δ |",
            "|---:|---:|---:|---:|---:|",
        ]
        for d in self.levels:
            rows.append(
                f"| {d.load:g} | {d.base_throughput:.1f} → {d.new_throughput:.1f} "
                f"| {d.throughput_change:+.1%} | {d.base_p99_us / 1000:.2f} → "
                f"{d.new_p99_us / 1000:.2f} | {d.p99_change:+.1%} |"
            )
        verdict = "REGRESSION:\n" + "\n".join(f"- {r}" for r in self.regressions)
        return "\n".join(rows) + "\n\n" + (verdict if self.regressed else "no regression")


def compare(
    base: PerfResult,
    new: PerfResult,
    max_throughput_drop: float = 0.05,
    max_p99_rise: float = 0.10,
) -> Comparison:
    """Compare at the load levels both measured; a change beyond a limit is a regression."""
    if base.load_kind != new.load_kind:
        raise PerfError(
            f"cannot compare a {base.load_kind} sweep with a {new.load_kind} sweep — measure "
            "both at the same kind of load"
        )
    # an unstable level has no trustworthy reading to compare (see LevelResult.stable)
    common = sorted(
        {lv.load for lv in base.levels if lv.stable} & {lv.load for lv in new.levels if lv.stable}
    )
    if not common:
        raise PerfError(
            f"no common stable load level (base {[lv.load for lv in base.levels]}, new "
            f"{[lv.load for lv in new.levels]}) — configs must be compared at the same load, "
            "each measured stably"
        )
    deltas, problems = [], []
    for load in common:
        b, n = base.level(load), new.level(load)
        assert b is not None
        assert n is not None
        d = LevelDelta(load, b.throughput, n.throughput, b.latency.p99_us, n.latency.p99_us)
        deltas.append(d)
        if d.throughput_change < -max_throughput_drop:
            problems.append(
                f"load {load:g}: throughput {d.throughput_change:+.1%} "
                f"(limit -{max_throughput_drop:.0%})"
            )
        if d.p99_change > max_p99_rise:
            problems.append(f"load {load:g}: p99 {d.p99_change:+.1%} (limit +{max_p99_rise:.0%})")
    return Comparison(deltas, max_throughput_drop, max_p99_rise, problems)
