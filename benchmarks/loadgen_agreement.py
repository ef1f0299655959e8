"""perf_analyzer vs the built-in engine on the same server, model and concurrency: interleaved
(the engine that goes first alternates), repeated; prints both throughputs and the ratio per
concurrency with the per-round spread. Target: within 5 %.

A perf_analyzer level that does not stabilize is retried with a longer window and a looser
stability threshold, and reported as such instead of aborting the run.

Why they differ: every measurement also reads the CPU each engine spent per request Triton
counted (perf_analyzer: its process; builtin: this process) and tritonserver's (``/proc``). On
cores shared with the server, a client's CPU per request comes out of the server's throughput;
at concurrency 1 its latency adds to every request instead."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.catalogue import batch_add_model

from tritonops.errors import PerfError
from tritonops.perf import server_counters as prom
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.server import LocalTriton
from tritonops.server.usage import children_cpu, self_cpu, tree_cpu

ROUNDS = 4
WINDOW_MS = 1000
STABILITY = 30.0
RETRIES = ((2000, 50.0), (3000, 100.0))  # (window ms, stability %) after a failed attempt


def _measured(
    server: LocalTriton, c: int, engine: str, notes: list[str], cpu: dict[str, list[float]]
) -> float | None:
    """``_measure`` plus the engine's and tritonserver's CPU µs per request, into ``cpu``."""
    assert server.pid is not None
    before = prom.scrape(server.metrics_url)
    tree, own, children = tree_cpu(server.pid), self_cpu(), children_cpu()
    throughput = _measure(server.grpc_url, c, engine, notes)
    requests = max(prom.delta(before, prom.scrape(server.metrics_url), "add").success, 1.0)
    client = (self_cpu() - own) + (children_cpu() - children)
    triton = tree_cpu(server.pid).get("tritonserver", 0.0) - tree.get("tritonserver", 0.0)
    cpu[f"{engine} client"].append(client * 1e6 / requests)
    cpu[f"{engine} tritonserver"].append(triton * 1e6 / requests)
    return throughput


def _measure(url: str, c: int, engine: str, notes: list[str]) -> float | None:
    attempts = ((WINDOW_MS, STABILITY), *RETRIES)
    for window_ms, stability in attempts:
        spec = MeasureSpec(
            model="add",
            url=url,
            concurrency=(c,),
            measurement_interval_ms=window_ms,
            stability_percentage=stability,
            engine=engine,  # type: ignore[arg-type]
        )
        try:
            return measure(spec).levels[0].throughput
        except PerfError as exc:
            notes.append(
                f"{engine} c={c} window {window_ms} ms, stability {stability:g} %: "
                f"{str(exc).splitlines()[0][:120]}"
            )
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,4,8", help="concurrency levels, comma-separated")
    levels = [int(c) for c in parser.parse_args().levels.split(",")]
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        batch_add_model(Path(tmp))
        with LocalTriton(tmp, load=["add"]) as server:
            for c in levels:
                runs: dict[str, list[float]] = {"perf_analyzer": [], "builtin": []}
                ratios: list[float] = []
                cpu: dict[str, list[float]] = defaultdict(list)
                for r in range(ROUNDS):
                    order = (
                        ("perf_analyzer", "builtin") if r % 2 == 0 else ("builtin", "perf_analyzer")
                    )
                    got = {e: _measured(server, c, e, notes, cpu) for e in order}
                    for e, v in got.items():
                        if v is not None:
                            runs[e].append(v)
                    pa, bi = got["perf_analyzer"], got["builtin"]
                    if pa and bi:
                        ratios.append(bi / pa)
                if not ratios:
                    print(f"c={c}: no round where both engines measured", flush=True)
                    continue
                pa_m, bi_m = (statistics.median(runs[e]) for e in ("perf_analyzer", "builtin"))
                print(
                    f"c={c}: perf_analyzer {pa_m:.0f} infer/s "
                    f"{[round(x) for x in runs['perf_analyzer']]}, "
                    f"builtin {bi_m:.0f} infer/s {[round(x) for x in runs['builtin']]}, "
                    f"ratio builtin/pa median {statistics.median(ratios):.3f} "
                    f"(rounds {min(ratios):.3f}-{max(ratios):.3f}, n={len(ratios)})",
                    flush=True,
                )
                print(
                    "     CPU µs per request (medians): "
                    + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in cpu.items()),
                    flush=True,
                )
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
