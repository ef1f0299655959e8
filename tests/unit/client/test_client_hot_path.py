"""The routing hot path's footprint: one record per request, bounded memory, reused inputs.

Counted with tracemalloc (blocks and bytes still alive after N routed calls), never timed.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import numpy as np
import pytest
from client_fixtures import CONFIG
from google.protobuf import json_format
from tritonclient.grpc import service_pb2

import tritonops.client
from tritonops.client import InferRequest, InferResponse, Router, Variant
from tritonops.client.pool import EndpointPool
from tritonops.client.retry import RetryPolicy, RetryTransport
from tritonops.client.routing import RoutingCore
from tritonops.errors import UnavailableError
from tritonops.triton.transports import GrpcTransport

CLIENT_DIR = str(Path(tritonops.client.__file__).parent)
X = np.ones((1, 4), np.float32)
KEYS = [f"user-{i}" for i in range(100)]


class Fixed:
    """A transport that answers every request with the same response and keeps nothing."""

    def __init__(self) -> None:
        self.response = InferResponse({"y": X}, "m", "1", "fixed")

    def handle(self, request: InferRequest) -> InferResponse:
        return self.response

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        return CONFIG

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def fixed_router(**options: Any) -> Router:
    variants = [Variant(name, "m", weight=1) for name in ("a", "b", "c")]
    transports = {v.name: Fixed() for v in variants}
    return Router(variants, transports=transports, **options)


def retained(router: Router, calls: int) -> tuple[int, int]:
    """Blocks and bytes allocated by tritonops.client during ``calls`` and still alive after."""
    inputs = {"x": X}
    for i in range(1_000):  # warm: key cache, signatures, per-variant stores
        router.infer(inputs, key=KEYS[i % len(KEYS)])
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(calls):
            router.infer(inputs, key=KEYS[i % len(KEYS)])
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    only = [tracemalloc.Filter(True, CLIENT_DIR + "/*")]
    diff = after.filter_traces(only).compare_to(before.filter_traces(only), "filename")
    return sum(d.count_diff for d in diff), sum(d.size_diff for d in diff)


def test_each_routed_request_leaves_one_record_and_nothing_else() -> None:
    router = fixed_router()
    calls = 3_000
    blocks, size = retained(router, calls)
    # one row tuple, its start time (int) and its latency (float); the latency store grows by 8
    # bytes. An Assignment, a dict or a Plan kept per request would break either bound.
    assert blocks <= 3 * calls + 50, blocks / calls
    assert size <= 200 * calls, size / calls
    assert len(router.records) == 1_000 + calls


def test_records_stop_growing_at_max_records() -> None:
    router = fixed_router()
    router.core = RoutingCore(list(router.core.variants.values()), max_records=500)
    _, size = retained(router, 3_000)
    # past the bound a request keeps only its 8-byte latency (plus the array's growth slack)
    assert size <= 24 * 3_000, size / 3_000
    assert len(router.records) == 500


def test_records_read_back_as_assignments_with_wall_times() -> None:
    router = fixed_router()
    before = time.time()
    router.infer({"x": X}, key="k")
    (record,) = router.records
    assert before - 0.5 <= record.time <= time.time() + 0.5
    assert (record.status, record.shadow, record.rule, record.fallback_from) == (
        "ok", False, None, None,
    )  # fmt: skip
    assert record.latency_ms >= 0
    stats = router.stats()
    assert set(stats) == {record.variant}  # variants that never served are not listed
    assert stats[record.variant].count == 1


def test_sticky_plans_are_cached_until_the_weights_change() -> None:
    router = fixed_router()
    first = router.core.plan({"x": X}, "user-1", None)
    assert router.core.plan({"x": X}, "user-1", None) is first
    router.set_weights({first.assigned: 0})
    moved = router.core.plan({"x": X}, "user-1", None)
    assert moved.assigned != first.assigned
    assert moved.key_hash == first.key_hash


class FakeRpcError(grpc.RpcError):  # type: ignore[misc]
    """What a failed sync gRPC call raises: an ``RpcError`` with a status code and details."""

    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(code.name)
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "injected"


class FakeStub:
    """Stands in for the gRPC stub's ``ModelInfer``: keeps each request, answers ``y = x + 1``.

    Its first ``failures`` calls raise ``code``; ``ModelConfig`` answers the fixtures' config.
    """

    def __init__(self, failures: int = 0, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE):
        self.sent: list[tuple[str, list[int], str, bytes]] = []
        self.failures = failures
        self.code = code
        self.calls = 0

    def ModelInfer(self, request: Any, *, timeout: float, metadata: Any = None) -> Any:
        self.calls += 1
        assert timeout == 2.5
        if self.calls <= self.failures:
            raise FakeRpcError(self.code)
        for tensor, raw in zip(request.inputs, request.raw_input_contents, strict=True):
            self.sent.append((tensor.name, list(tensor.shape), tensor.datatype, raw))
        x = np.frombuffer(request.raw_input_contents[0], np.float32)
        response = service_pb2.ModelInferResponse(model_name="m", model_version="1")
        response.outputs.add(name="y", datatype="FP32", shape=list(request.inputs[0].shape))
        response.raw_output_contents.append((x + 1).tobytes())
        return response

    def ModelConfig(self, request: Any, *, timeout: float, metadata: Any = None) -> Any:
        response = service_pb2.ModelConfigResponse()
        json_format.ParseDict(CONFIG, response.config)
        return response


def faked(transport: GrpcTransport, stub: FakeStub) -> GrpcTransport:
    transport.close()  # the real channel never connected
    transport._stub = stub
    transport._infer = stub.ModelInfer
    return transport


@pytest.mark.parametrize("rows", [1, 3])
def test_grpc_requests_carry_each_calls_own_data(rows: int) -> None:
    stub = FakeStub()
    transport = faked(GrpcTransport("127.0.0.1:1", timeout_s=2.5), stub)
    arrays = [np.full((rows, 4), float(i), np.float32) for i in range(3)]
    for array in arrays:
        response = transport.handle(InferRequest("m", {"x": array}))
        np.testing.assert_array_equal(response.outputs["y"], array + 1)
        assert (response.model, response.version) == ("m", "1")
    expected = [("x", [rows, 4], "FP32", a.tobytes()) for a in arrays]
    assert stub.sent == expected


def test_grpc_requests_encode_strings_and_ints() -> None:
    stub = FakeStub()
    transport = faked(GrpcTransport("127.0.0.1:1", timeout_s=2.5), stub)
    words = np.array([[b"ab", b"c"]], dtype=np.object_)
    transport.send("m", {"x": np.zeros((1, 4), np.float32), "w": words})
    transport.send("m", {"x": np.zeros((1, 4), np.float32), "n": np.arange(6, dtype=np.int64)})
    assert stub.sent[1] == ("w", [1, 2], "BYTES", b"\x02\x00\x00\x00ab\x01\x00\x00\x00c")
    assert stub.sent[3] == ("n", [6], "INT64", np.arange(6, dtype=np.int64).tobytes())


def grpc_router(stub: FakeStub, retries: int) -> Router:
    """One variant at one gRPC endpoint (the collapsed fast call), its gRPC stub faked."""
    router = Router(
        [Variant("a", "m", endpoints=["127.0.0.1:1"])], timeout_s=2.5, retries=retries,
        fallback=False,
    )  # fmt: skip
    stack = router._transports["a"]
    if isinstance(stack, RetryTransport):
        stack.policy = RetryPolicy(retries, backoff_s=0.0)
        stack = stack.inner
    assert isinstance(stack, EndpointPool)
    (wire,) = stack.transports
    assert isinstance(wire, GrpcTransport)
    faked(wire, stub)
    return router


@pytest.mark.parametrize(("failures", "retries", "ok"), [(0, 1, True), (1, 1, True), (2, 2, True),
                                                         (2, 1, False), (1, 0, False)])  # fmt: skip
def test_the_fast_call_retries_unavailable_like_the_stack(
    failures: int, retries: int, ok: bool
) -> None:
    stub = FakeStub(failures)
    router = grpc_router(stub, retries)
    result = router.infer({"x": X})
    assert (result.status == "ok") is ok
    assert stub.calls == (failures + 1 if ok else retries + 1)
    if ok:
        assert (result.model, result.version, result.endpoint) == ("m", "1", "127.0.0.1:1")
    else:
        assert isinstance(result.error, UnavailableError)


def test_the_fast_call_never_retries_other_errors() -> None:
    stub = FakeStub(1, code=grpc.StatusCode.INVALID_ARGUMENT)
    result = grpc_router(stub, retries=3).infer({"x": X})
    assert result.status == "error"
    assert stub.calls == 1
    assert result.error is not None
    assert result.error.status == "StatusCode.INVALID_ARGUMENT"
    assert not isinstance(result.error, UnavailableError)


def test_routed_results_are_immutable() -> None:
    result = fixed_router().infer({"x": X}, key="k")
    with pytest.raises(AttributeError):
        result.variant = "other"  # type: ignore[misc]
