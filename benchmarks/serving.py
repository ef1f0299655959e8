"""Serving cost on the embedded Triton, measured side by side in one run.

1. The serving floor: a no-op python model at concurrency 8 (Triton + python backend + client).
2. A small ONNX MLP (256-1024-1024-10) served at concurrency 8, as a ratio to the floor (>= 0.9).
3. A compute-bound ONNX MLP (1024-4096-4096-1000): in-process onnxruntime's best throughput over
   batch sizes vs served at concurrency 32 (target >= 0.8).

Configs are rendered by tritonops; the load is perf_analyzer (closed loop, gRPC) where it runs,
else a closed loop of tritonclient gRPC asyncio clients.

Where the CPU goes: every served measurement also reads the CPU time of the client, of
tritonserver and of the python-backend stubs (``/proc``) and the requests Triton counted (metrics
port), and prints CPU µs per request for each. With the client and the server on the same few
cores, ``cores / (CPU per request)`` bounds the throughput; the last lines print that bound for
the compute-bound model as a ratio to in-process, from the measured split.
Run: .venv/bin/python benchmarks/serving.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import tritonclient.grpc.aio as grpcaio
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from tritonops.errors import PerfError
from tritonops.model_config import (
    DataType,
    DynamicBatching,
    InstanceGroup,
    InstanceKind,
    ModelConfig,
    ModelInput,
    ModelOutput,
)
from tritonops.perf import server_counters as prom
from tritonops.perf.analyzer import ready_analyzer
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.repository.layout import write_repository
from tritonops.server import LocalTriton
from tritonops.server.usage import children_cpu, self_cpu, tree_cpu
from tritonops.spec import ModelPlan

NOOP = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        out = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "input").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("output", x[:, :10])]))
        return out
"""


def mlp(path: Path, sizes: list[int], seed: int = 0) -> None:
    """An ONNX MLP (MatMul + Add + Relu per layer, no Relu on the last)."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    current = "input"
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        w = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
        b = np.zeros(n_out, dtype=np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        last = i == len(sizes) - 2
        nodes.append(helper.make_node("MatMul", [current, f"w{i}"], [f"m{i}"]))
        nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], ["output" if last else f"a{i}"]))
        if not last:
            nodes.append(helper.make_node("Relu", [f"a{i}"], [f"h{i}"]))
            current = f"h{i}"
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", sizes[0]])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", sizes[-1]])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def plan(
    name: str,
    kind: str,
    width: int,
    out: int,
    files: dict[str, Path],
    batching: DynamicBatching | None = None,
) -> ModelPlan:
    config = ModelConfig(
        name=name,
        backend="python" if kind == "python" else "onnxruntime",
        max_batch_size=64,
        input=[ModelInput(name="input", data_type=DataType.TYPE_FP32, dims=[width])],
        output=[ModelOutput(name="output", data_type=DataType.TYPE_FP32, dims=[out])],
        dynamic_batching=batching or DynamicBatching(max_queue_delay_microseconds=100),
        instance_group=[InstanceGroup(kind=InstanceKind.KIND_CPU, count=1)],
    )
    return ModelPlan(config=config, kind=kind, version_files=files)


@dataclass
class Split:
    """CPU µs per request of one served measurement, by who spent it."""

    client: float
    server: float
    stubs: float

    @property
    def total(self) -> float:
        return self.client + self.server + self.stubs


def served_with_split(
    server: LocalTriton, model: str, width: int, concurrency: int, seconds: float
) -> tuple[float, Split]:
    """``served`` plus the CPU each side spent per request Triton counted over the whole run."""
    assert server.pid is not None
    before_tree, before_self, before_children = tree_cpu(server.pid), self_cpu(), children_cpu()
    before = prom.scrape(server.metrics_url)
    throughput = served(server.grpc_url, model, width, concurrency, seconds)
    requests = prom.delta(before, prom.scrape(server.metrics_url), model).success
    after_tree = tree_cpu(server.pid)
    client = (self_cpu() - before_self) + (children_cpu() - before_children)
    tree = {name: after_tree[name] - before_tree.get(name, 0.0) for name in after_tree}
    main = tree.pop("tritonserver", 0.0)
    per = 1e6 / max(requests, 1.0)
    return throughput, Split(client * per, main * per, sum(tree.values()) * per)


def served(url: str, model: str, width: int, concurrency: int, seconds: float) -> float:
    """Throughput at a concurrency: perf_analyzer (a C++ client) when it runs here, else asyncio."""
    try:
        ready_analyzer(None)
    except PerfError:
        return asyncio.run(closed_loop(url, model, width, concurrency, seconds))
    spec = MeasureSpec(
        model=model,
        url=url,
        concurrency=(concurrency,),
        measurement_interval_ms=int(seconds * 1000 / 3),
        engine="perf_analyzer",
    )
    return measure(spec).levels[0].throughput


async def closed_loop(url: str, model: str, width: int, concurrency: int, seconds: float) -> float:
    """Throughput (infer/s) of `concurrency` clients each sending its next request on a reply."""
    client = grpcaio.InferenceServerClient(url)
    data = np.random.default_rng(1).random((1, width), dtype=np.float32)

    def request() -> list[grpcaio.InferInput]:
        item = grpcaio.InferInput("input", [1, width], "FP32")
        item.set_data_from_numpy(data)
        return [item]

    done = 0
    stop = 0.0

    async def worker() -> None:
        nonlocal done
        inputs = request()
        while time.perf_counter() < stop:
            await client.infer(model, inputs)
            done += 1

    # warm-up, then the measured window
    stop = time.perf_counter() + 1.0
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    done = 0
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await client.close()
    return done / elapsed


def in_process_best(path: Path, width: int, seconds: float) -> tuple[float, int]:
    """onnxruntime in this process: the best samples/s over batch sizes."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    best = (0.0, 1)
    for batch in (1, 8, 32, 64):
        x: NDArray[Any] = np.random.default_rng(2).random((batch, width), dtype=np.float32)
        session.run(None, {"input": x})
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 4:
            session.run(None, {"input": x})
            runs += 1
        rate = runs * batch / (time.perf_counter() - start)
        best = max(best, (rate, batch))
    return best


def in_process_cpu_us(path: Path, width: int, batch: int, seconds: float) -> float:
    """CPU µs per inference of in-process onnxruntime on one thread at ``batch``: the least
    compute a served inference of this model can cost."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    x: NDArray[Any] = np.random.default_rng(3).random((batch, width), dtype=np.float32)
    session.run(None, {"input": x})
    runs, cpu, start = 0, self_cpu(), time.perf_counter()
    while time.perf_counter() - start < seconds:
        session.run(None, {"input": x})
        runs += 1
    return (self_cpu() - cpu) * 1e6 / (runs * batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "noop.py").write_text(NOOP)
        small_path = root / "small.onnx"
        mlp(small_path, [256, 1024, 1024, 10])
        mlp(root / "big.onnx", [1024, 4096, 4096, 1000])
        plans = [
            plan("noop", "python", 256, 10, {"model.py": root / "noop.py"}),
            plan("mlp_small", "onnx", 256, 10, {"model.onnx": root / "small.onnx"}),
            # compute-bound: wait (up to 5 ms) for full batches, where onnxruntime is most efficient
            plan(
                "mlp_big",
                "onnx",
                1024,
                1000,
                {"model.onnx": root / "big.onnx"},
                DynamicBatching(preferred_batch_size=[32], max_queue_delay_microseconds=5000),
            ),
        ]
        repo = root / "repo"
        write_repository(plans, repo)
        floors: list[float] = []
        smalls: list[float] = []
        serveds: list[float] = []
        locals_: list[tuple[float, int]] = []
        splits: dict[str, list[Split]] = {"noop": [], "mlp_small": [], "mlp_big": []}
        with LocalTriton(repo, load=["noop", "mlp_small", "mlp_big"]) as server:
            # interleaved rounds: this machine's noise drifts over minutes (runtime.md)
            for _ in range(args.rounds):
                for name, width, c, into in (
                    ("noop", 256, 8, floors),
                    ("mlp_small", 256, 8, smalls),
                    ("mlp_big", 1024, 32, serveds),
                ):
                    throughput, split = served_with_split(server, name, width, c, args.seconds)
                    into.append(throughput)
                    splits[name].append(split)
                locals_.append(in_process_best(root / "big.onnx", 1024, args.seconds))
        small_us = in_process_cpu_us(small_path, 256, 8, 1.0)
        floor, small, served_big = median(floors), median(smalls), median(serveds)
        local_big, best_batch = sorted(locals_)[len(locals_) // 2]
        ratio_small = median([s / f for s, f in zip(smalls, floors, strict=True)])
        ratio_big = median([s / b for s, (b, _) in zip(serveds, locals_, strict=True)])
    print(f"serving floor (no-op python, c=8):      {floor:9.1f} infer/s")
    print(f"small ONNX MLP served (c=8):            {small:9.1f} infer/s")
    print(f"compute-bound MLP in-process (batch {best_batch:>2}): {local_big:9.1f} infer/s")
    print(f"compute-bound MLP served (c=32):        {served_big:9.1f} infer/s")
    print(f"small MLP / floor (median of rounds):   {ratio_small:9.3f}  (target >= 0.9)")
    print(f"compute-bound served / in-process:      {ratio_big:9.3f}  (target >= 0.8)")
    cores = os.cpu_count() or 1
    print(f"CPU per request (µs, medians of rounds; {cores} cores shared by client and server):")
    for name, rows in splits.items():
        client = median(r.client for r in rows)
        main = median(r.server for r in rows)
        stubs = median(r.stubs for r in rows)
        print(
            f"  {name:<10} client {client:7.0f}  tritonserver {main:7.0f}"
            f"  stubs (python, onnxruntime) {stubs:7.0f}  total {client + main + stubs:7.0f}"
        )
    # the small model's ceiling: the floor's CPU per request plus the least compute per inference
    floor_us = median(r.total for r in splits["noop"])
    print(
        f"small MLP: floor {floor_us:.0f} CPU µs/request + in-process compute {small_us:.0f}"
        f" µs/inference (batch 8, one thread) → ceiling {floor_us / (floor_us + small_us):.3f}"
        " of the floor"
    )
    # the compute-bound model's ceiling: the same cores spent per request at served's split,
    # where in-process onnxruntime would spend cores / in-process throughput on compute alone
    big = splits["mlp_big"]
    compute_us = cores * 1e6 / local_big
    overhead_us = median(r.client + r.server for r in big)
    print(
        f"compute-bound: in-process compute {compute_us:.0f} CPU µs/inference; client +"
        f" tritonserver alone {overhead_us:.0f} µs/request → ceiling at this split"
        f" {compute_us / (compute_us + overhead_us):.3f} of in-process"
    )


if __name__ == "__main__":
    main()
