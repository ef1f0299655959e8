"""Router overhead: direct tritonclient gRPC vs the sticky A/B Router, same model, same server.

One embedded Triton serves a tiny python model; the Router splits over three variants of that same
model. Requests alternate (direct, router, ...; the order flips each round) so drift on a shared
machine hits both sides alike. The last line reads ``router p50 overhead: N.N%``.

    .venv/bin/python benchmarks/router_overhead.py [--rounds 10] [--requests 300]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import tritonclient.grpc as grpcclient

from tritonops.client import Router, Variant
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


def percentile(data: list[float], q: int) -> float:
    return statistics.quantiles(data, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
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
            router = Router(variants, protocol="grpc", sticky=True)

            def direct_call() -> None:
                item = grpcclient.InferInput("x", [1, 4], "FP32")
                item.set_data_from_numpy(x)
                direct.infer("add_one", [item]).as_numpy("y")

            def router_call(i: int) -> None:
                router.infer({"x": x}, key=keys[i % len(keys)])

            for i in range(200):  # warm both paths (connections, caches, the python stub)
                direct_call()
                router_call(i)
            latencies: dict[str, list[float]] = {"direct": [], "router": []}
            for round_ in range(args.rounds):
                # request-level interleaving; the order flips each round
                order = ["direct", "router"] if round_ % 2 == 0 else ["router", "direct"]
                for i in range(args.requests):
                    for side in order:
                        started = time.perf_counter()
                        if side == "direct":
                            direct_call()
                        else:
                            router_call(i)
                        latencies[side].append((time.perf_counter() - started) * 1000)
            errors = sum(s.errors for s in router.stats().values())
            router.close()
            direct.close()
    p50 = {side: percentile(data, 50) for side, data in latencies.items()}
    for side, data in latencies.items():
        print(
            f"{side:>6}: n={len(data)}  p50={p50[side]:.3f} ms  p99={percentile(data, 99):.3f} ms"
        )
    print(f"router errors: {errors}")
    print(f"router p50 overhead: {(p50['router'] / p50['direct'] - 1) * 100:.1f}%")


if __name__ == "__main__":
    main()
