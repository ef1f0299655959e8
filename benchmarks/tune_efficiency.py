"""tune against an exhaustive grid on the same model and server, in one run.

The grid measures every served config of the space at the same load levels tune's finals use
(one window each) and takes the config with the most SLO-meeting throughput. Then tune's pick and
the grid's best are re-measured side by side (interleaved, order alternating, repeated) at those
levels, and the ratio of their best SLO-meeting throughputs is printed with its spread, along
with the ratio of the time each search took. Usage:

    .venv/bin/python benchmarks/tune_efficiency.py [--slo-p99 MS]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.catalogue import overhead_model

from tritonops.perf.tune import Candidate, LevelStats, SearchSpace, load_levels, tune
from tritonops.perf.tune_live import live_measurer
from tritonops.server import LocalTriton
from tritonops.triton.endpoint import fetch_config, parse_url

SPACE = SearchSpace(max_batch_size=(8, 32), queue_delay_us=(0, 2000), instances=(1, 2))
CONCURRENCY = 8
FINAL_ROUNDS = 4  # grid-best vs tune-pick, alternating which goes first


def _best_meeting(levels: list[LevelStats], slo_us: float | None) -> float:
    """The most throughput at a level whose p99 band meets the SLO (0 when none does)."""
    return max((lv.throughput for lv in levels if lv.meets(slo_us)), default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slo-p99", type=float, default=None, help="ms")
    args = parser.parse_args()
    slo_us = args.slo_p99 * 1000 if args.slo_p99 is not None else None
    levels = load_levels(CONCURRENCY)
    with tempfile.TemporaryDirectory() as tmp:
        overhead_model(Path(tmp))
        with LocalTriton(tmp, load=["overhead"]) as server:
            config = fetch_config(parse_url(server.grpc_url), "overhead")
            m, engine = live_measurer(server.grpc_url, config, window_ms=250)
            grid = SPACE.grid(Candidate.of(config))
            began = time.perf_counter()
            scores: dict[Candidate, float] = {}
            for point in grid:
                seen = [LevelStats(lv, [m(point, lv, 1)]) for lv in levels]
                scores[point] = _best_meeting(seen, slo_us)
            grid_s = time.perf_counter() - began
            grid_best = max(scores, key=lambda c: scores[c])
            began = time.perf_counter()
            tuned = tune(
                config,
                m,
                slo_p99_us=slo_us,
                budget=len(grid) * len(levels) // 3,
                concurrency=CONCURRENCY,
                space=SPACE,
            )
            tune_s = time.perf_counter() - began
            runs: dict[str, list[float]] = {"grid": [], "tune": []}
            ratios = []
            for r in range(FINAL_ROUNDS):
                order = ("grid", "tune") if r % 2 == 0 else ("tune", "grid")
                got = {}
                for who in order:
                    c: Candidate | None = grid_best if who == "grid" else tuned.best
                    if c is None:  # tune named no pick: it delivers nothing within the SLO
                        got[who] = 0.0
                    else:
                        seen = [LevelStats(lv, [m(c, lv, 2)]) for lv in levels]
                        got[who] = _best_meeting(seen, slo_us)
                    runs[who].append(got[who])
                ratios.append(got["tune"] / got["grid"] if got["grid"] else float("nan"))
            print(f"engine {engine}; load levels {list(levels)}; SLO p99 {args.slo_p99} ms")
            print(f"grid: {len(grid)} configs x {len(levels)} levels ({grid_s:.0f} s)")
            print(f"      best {grid_best.describe()}")
            print(f"tune: {tuned.measurements} windows ({tune_s:.0f} s)")
            print(
                f"      pick {tuned.best.describe()}"
                if tuned.best
                else "      no pick: no finalist's p99 band met the SLO at any level"
            )
            if tuned.best == grid_best:
                print("      (the grid's best: the ratio below shows the machine's noise)")
            print(
                f"re-measured x{FINAL_ROUNDS} interleaved: grid {[round(x) for x in runs['grid']]}"
                f" vs tune {[round(x) for x in runs['tune']]} SLO-meeting infer/s"
            )
            met = sum(x > 0 for x in runs["grid"])
            print(f"the grid's best met the SLO in {met} of {FINAL_ROUNDS} re-measurements")
            valid = [x for x in ratios if x == x]  # rounds where the grid's best met the SLO
            ratio = (
                f"{statistics.median(valid):.3f} (per round {min(valid):.3f}-{max(valid):.3f})"
                if valid
                else "undefined (the grid's best never met the SLO when re-measured)"
            )
            print(f"throughput ratio tune/grid {ratio}; time ratio tune/grid {tune_s / grid_s:.3f}")


if __name__ == "__main__":
    main()
