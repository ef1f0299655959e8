"""Full grid vs tune on the same model and server: best throughput each found (re-measured side by
side at the end), measurements each used, and both ratios. Target: >= 95 % in <= 1/3."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.perf.models import overhead_model

from tritonops.perf.triton import fetch_config, parse_url
from tritonops.perf.tune import Candidate, SearchSpace, tune
from tritonops.perf.tune_live import live_measurer
from tritonops.server import LocalTriton

SPACE = SearchSpace(max_batch_size=(8, 32), queue_delay_us=(0, 2000), instances=(1, 2))
GRID_WINDOWS = 2  # each grid point measured once for two windows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        overhead_model(Path(tmp))
        with LocalTriton(tmp, load=["overhead"]) as server:
            config = fetch_config(parse_url(server.grpc_url), "overhead")
            m = live_measurer(server.grpc_url, config, concurrency=16, window_ms=250)
            grid = SPACE.grid(Candidate.of(config))
            scores = {c: m(c, GRID_WINDOWS)[0] for c in grid}
            grid_best = max(scores, key=lambda c: scores[c])
            grid_cost = GRID_WINDOWS * len(grid)
            tuned = tune(config, m, budget=grid_cost // 3, space=SPACE)
            # re-measure both winners side by side, interleaved, three times each
            final = {"grid": 0.0, "tune": 0.0}
            for _ in range(3):
                final["grid"] += m(grid_best, 4)[0] / 3
                final["tune"] += m(tuned.best, 4)[0] / 3
            print(f"grid: {len(grid)} configs, {grid_cost} windows, best {grid_best.describe()}")
            print(f"tune: {tuned.measurements} windows, best {tuned.best.describe()}")
            print(
                f"throughput grid {final['grid']:.0f} vs tune {final['tune']:.0f} infer/s: "
                f"ratio {final['tune'] / final['grid']:.3f}; measurements ratio "
                f"{tuned.measurements / grid_cost:.3f}"
            )


if __name__ == "__main__":
    main()
