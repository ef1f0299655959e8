"""perf_analyzer vs the built-in engine on the same server, model and concurrency (interleaved,
repeated); prints both throughputs and their ratio per concurrency. Target: within 5 %."""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.perf.models import add_model

from tritonops.perf.engine import MeasureSpec, measure
from tritonops.server import LocalTriton

ROUNDS = 3


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        add_model(Path(tmp))
        with LocalTriton(tmp, load=["add"]) as server:
            for c in (1, 4, 8):
                runs: dict[str, list[float]] = {"perf_analyzer": [], "builtin": []}
                for _ in range(ROUNDS):
                    for engine in ("perf_analyzer", "builtin"):  # interleaved
                        spec = MeasureSpec(
                            model="add",
                            url=server.grpc_url,
                            concurrency=(c,),
                            measurement_interval_ms=1000,
                            stability_percentage=30,
                            engine=engine,
                        )
                        runs[engine].append(measure(spec).levels[0].throughput)
                pa, bi = (statistics.median(runs[e]) for e in ("perf_analyzer", "builtin"))
                print(
                    f"c={c}: perf_analyzer {pa:.0f} infer/s {runs['perf_analyzer']!r:.60}, "
                    f"builtin {bi:.0f} infer/s, ratio builtin/pa {bi / pa:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
