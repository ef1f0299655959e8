"""The routing hot path's footprint: one record per request, bounded memory, reused inputs.

Counted with tracemalloc (blocks and bytes still alive after N routed calls), never timed.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from client_fixtures import CONFIG
from tritonclient.utils import InferenceServerException

import tritonops.client
from tritonops.client import InferRequest, InferResponse, Router, Variant
from tritonops.client.pool import EndpointPool
from tritonops.client.retry import RetryPolicy, RetryTransport
from tritonops.client.routing import RoutingCore
from tritonops.client.wire import GrpcTransport
from tritonops.errors import UnavailableError

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


class Capture:
    """Stands in for tritonclient's gRPC client: keeps what each ``infer`` was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[int], str, bytes]] = []

    def infer(self, model: str, inputs: list[Any], **options: Any) -> Any:
        for item in inputs:
            content = item._get_content()
            self.sent.append((item.name(), list(item.shape()), item.datatype(), content))
        assert options.get("client_timeout") == 2.5
        return Answer()


class Answer:
    class Body:
        outputs: tuple[Any, ...] = ()
        model_name = "m"
        model_version = "1"

    def get_response(self) -> Any:
        return self.Body()


@pytest.mark.parametrize("rows", [1, 3])
def test_reused_grpc_inputs_carry_each_requests_own_data(rows: int) -> None:
    transport = GrpcTransport("127.0.0.1:1", timeout_s=2.5)  # never connects: the client is faked
    capture, real = Capture(), transport._client
    transport._client = capture
    arrays = [np.full((rows, 4), float(i), np.float32) for i in range(3)]
    for array in arrays:
        transport.handle(InferRequest("m", {"x": array}))
    transport.handle(InferRequest("m", {"x": np.arange(6, dtype=np.int64)}))
    expected = [("x", [rows, 4], "FP32", a.tobytes()) for a in arrays]
    expected.append(("x", [6], "INT64", np.arange(6, dtype=np.int64).tobytes()))
    assert capture.sent == expected
    real.close()


class Flaky(Capture):
    """A fake gRPC client whose first ``failures`` calls raise ``status``."""

    def __init__(self, failures: int, status: str = "StatusCode.UNAVAILABLE") -> None:
        super().__init__()
        self.failures = failures
        self.status = status
        self.calls = 0

    def infer(self, model: str, inputs: list[Any], **options: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise InferenceServerException("injected", status=self.status)
        return super().infer(model, inputs, **options)

    def get_model_config(self, model: str, version: str = "", **options: Any) -> Any:
        return {"config": CONFIG}

    def close(self) -> None:
        pass


def grpc_router(client: Flaky, retries: int) -> Router:
    """One variant at one gRPC endpoint (the collapsed fast call), its tritonclient client faked."""
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
    wire._client.close()
    wire._client = client
    return router


@pytest.mark.parametrize(("failures", "retries", "ok"), [(0, 1, True), (1, 1, True), (2, 2, True),
                                                         (2, 1, False), (1, 0, False)])  # fmt: skip
def test_the_fast_call_retries_unavailable_like_the_stack(
    failures: int, retries: int, ok: bool
) -> None:
    client = Flaky(failures)
    router = grpc_router(client, retries)
    result = router.infer({"x": X})
    assert (result.status == "ok") is ok
    assert client.calls == (failures + 1 if ok else retries + 1)
    if ok:
        assert (result.model, result.version, result.endpoint) == ("m", "1", "127.0.0.1:1")
    else:
        assert isinstance(result.error, UnavailableError)


def test_the_fast_call_never_retries_other_errors() -> None:
    client = Flaky(1, status="StatusCode.INVALID_ARGUMENT")
    result = grpc_router(client, retries=3).infer({"x": X})
    assert result.status == "error"
    assert client.calls == 1
    assert not isinstance(result.error, UnavailableError)


def test_routed_results_are_immutable() -> None:
    result = fixed_router().infer({"x": X}, key="k")
    with pytest.raises(AttributeError):
        result.variant = "other"  # type: ignore[misc]
