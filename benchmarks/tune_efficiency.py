"""Full grid vs tune on the same model and server, in one run: the best throughput each found
(re-measured side by side at the end, interleaved and repeated), the measurements each used, and
both ratios. Target: tune reaches >= 95 % of the grid's best in <= 1/3 of its measurements."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.perf.models import overhead_model

from tritonops.perf.triton import fetch_config, parse_url
from tritonops.perf.tune import Candidate, SearchSpace, tune
from tritonops.perf.tune_live import live_measurer
from tritonops.server import LocalTriton

SPACE = SearchSpace(max_batch_size=(8, 32), queue_delay_us=(0, 2000), instances=(1, 2))
GRID_WINDOWS = 2  # each grid point measured once for two windows
FINAL_ROUNDS = 4  # grid-best vs tune-best, alternating which goes first
FINAL_WINDOWS = 4


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        overhead_model(Path(tmp))
        with LocalTriton(tmp, load=["overhead"]) as server:
            config = fetch_config(parse_url(server.grpc_url), "overhead")
            m = live_measurer(server.grpc_url, config, concurrency=16, window_ms=250)
            grid = SPACE.grid(Candidate.of(config))
            began = time.perf_counter()
            scores = {c: m(c, GRID_WINDOWS)[0] for c in grid}
            grid_s = time.perf_counter() - began
            grid_best = max(scores, key=lambda c: scores[c])
            grid_cost = GRID_WINDOWS * len(grid)
            began = time.perf_counter()
            tuned = tune(config, m, budget=grid_cost // 3, space=SPACE)
            tune_s = time.perf_counter() - began
            # the two winners side by side: interleaved, order alternating, repeated
            ratios: list[float] = []
            runs: dict[str, list[float]] = {"grid": [], "tune": []}
            for r in range(FINAL_ROUNDS):
                order = ("grid", "tune") if r % 2 == 0 else ("tune", "grid")
                got = {}
                for who in order:
                    got[who] = m(grid_best if who == "grid" else tuned.best, FINAL_WINDOWS)[0]
                    runs[who].append(got[who])
                ratios.append(got["tune"] / got["grid"])
            print(f"grid: {len(grid)} configs, {grid_cost} windows ({grid_s:.0f} s)")
            print(f"      best {grid_best.describe()}")
            print(f"tune: {tuned.measurements} windows ({tune_s:.0f} s)")
            print(f"      best {tuned.best.describe()}")
            print(f"      finalists: {[c.describe() for c in tuned.finalists]}")
            g, t = (statistics.median(runs[k]) for k in ("grid", "tune"))
            print(
                f"re-measured x{FINAL_ROUNDS} interleaved: grid {g:.0f} "
                f"{[round(x) for x in runs['grid']]} vs tune {t:.0f} "
                f"{[round(x) for x in runs['tune']]} infer/s"
            )
            print(
                f"throughput ratio tune/grid {statistics.median(ratios):.3f} (per round "
                f"{min(ratios):.3f}-{max(ratios):.3f}); measurements ratio "
                f"{tuned.measurements / grid_cost:.3f}"
            )


if __name__ == "__main__":
    main()
