"""Router overhead: direct tritonclient gRPC vs the sticky A/B Router, same model, same server.

One embedded Triton serves a tiny python model; the Router splits over three variants of that same
model. Both sides do the same work per request: numpy array in, a sync gRPC ``infer`` with a
deadline (the Router always sends one, ``timeout_s``), the output back as numpy. The direct side is
idiomatic, efficient tritonclient: one ``InferInput`` made once and refilled with
``set_data_from_numpy`` per request, ``infer``, ``as_numpy``. Two sides are for reference only:
``bare`` is the direct call without a deadline, and ``wire`` is the Router's own send path alone
(``GrpcTransport.send``: one ``ModelInferRequest`` through tritonclient's generated stub, every
output read back as numpy, no routing). The Router sends that way because it costs less than
``InferenceServerClient.infer``; ``routing cost over its wire path`` shows what routing itself
(sticky plan, circuit, input check, record) adds, so that saving cannot hide it.

Requests are interleaved one by one and the order rotates every request, so drift on a shared
machine and position effects hit every side alike. Each round gives one p50 per side; the report
shows the medians of the per-round p50s and p99s, and the overhead is the median over rounds of the
paired ratio router p50 / direct p50. The last line reads ``router p50 overhead: N.N%``.

    .venv/bin/python benchmarks/router_overhead.py [--rounds 30] [--requests 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import tritonclient.grpc as grpcclient

from tritonops.client import GrpcTransport, Router, Variant
from tritonops.server import LocalTriton

MODEL = """
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        return [
            pb_utils.InferenceResponse(
                [pb_utils.Tensor("y", pb_utils.get_input_tensor_by_name(r, "x").as_numpy() + 1)]
            )
            for r in requests
        ]
"""

CONFIG = """name: "add_one"
backend: "python"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""


def write_repository(root: Path) -> None:
    (root / "add_one" / "1").mkdir(parents=True)
    (root / "add_one" / "config.pbtxt").write_text(CONFIG)
    (root / "add_one" / "1" / "model.py").write_text(MODEL)


TIMEOUT_S = 10.0


def percentile(data: list[float], q: int) -> float:
    return statistics.quantiles(data, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    x = np.ones((1, 4), dtype=np.float32)
    keys = [f"user-{i}" for i in range(1000)]
    with tempfile.TemporaryDirectory() as tmp:
        write_repository(Path(tmp))
        with LocalTriton(Path(tmp), load=["add_one"]) as server:
            direct = grpcclient.InferenceServerClient(server.grpc_url)
            variants = [
                Variant(name, "add_one", weight=1, endpoints=[server.grpc_url])
                for name in ("a", "b", "c")
            ]
            router = Router(variants, protocol="grpc", sticky=True, timeout_s=TIMEOUT_S)

            item = grpcclient.InferInput("x", [1, 4], "FP32")  # reused, as the Router does
            items = [item]

            def direct_call(i: int) -> None:
                item.set_data_from_numpy(x)
                direct.infer("add_one", items, client_timeout=TIMEOUT_S).as_numpy("y")

            def bare_call(i: int) -> None:
                item.set_data_from_numpy(x)
                direct.infer("add_one", items).as_numpy("y")

            def router_call(i: int) -> None:
                router.infer({"x": x}, key=keys[i % len(keys)]).outputs["y"]

            wire = GrpcTransport(server.grpc_url, timeout_s=TIMEOUT_S)

            def wire_call(i: int) -> None:
                wire.send("add_one", {"x": x})[0]["y"]

            calls = {
                "direct": direct_call, "router": router_call, "bare": bare_call, "wire": wire_call,
            }  # fmt: skip
            sides = list(calls)
            for i in range(300):  # warm every path (connections, caches, the python stub)
                for call in calls.values():
                    call(i)
            rounds: dict[str, list[list[float]]] = {side: [] for side in sides}
            clock = time.perf_counter
            for _ in range(args.rounds):
                latencies: dict[str, list[float]] = {side: [] for side in sides}
                for i in range(args.requests):
                    shift = i % len(sides)  # rotate the order every request
                    for side in sides[shift:] + sides[:shift]:
                        call = calls[side]
                        started = clock()
                        call(i)
                        latencies[side].append((clock() - started) * 1000)
                for side in sides:
                    rounds[side].append(latencies[side])
            errors = sum(s.errors for s in router.stats().values())
            router.close()
            wire.close()
            direct.close()
    p50s = {side: [statistics.median(r) for r in data] for side, data in rounds.items()}
    p99s = {side: [percentile(r, 99) for r in data] for side, data in rounds.items()}
    for side in sides:
        print(
            f"{side:>6}: {args.rounds} rounds x {args.requests}"
            f"  p50={statistics.median(p50s[side]):.3f} ms"
            f"  p99={statistics.median(p99s[side]):.3f} ms  (medians of per-round values)"
        )
    bare = statistics.median(d / b - 1 for d, b in zip(p50s["direct"], p50s["bare"], strict=True))
    print(f"deadline cost (direct vs bare): {bare * 100:.1f}%")
    routing = statistics.median(
        r / w - 1 for r, w in zip(p50s["router"], p50s["wire"], strict=True)
    )
    print(f"routing cost over its wire path (router vs wire): {routing * 100:.1f}%")
    print(f"router errors: {errors}")
    overhead = statistics.median(
        r / d - 1 for r, d in zip(p50s["router"], p50s["direct"], strict=True)
    )
    print(f"router p50 overhead: {overhead * 100:.1f}%")


if __name__ == "__main__":
    main()
