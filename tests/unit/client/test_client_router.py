"""Router and AsyncRouter over MockTransports: fallback, circuits, shadows, records."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest
from client_fixtures import CONFIG, labelled, x

from tritonops.client import (
    AsyncRouter,
    CircuitSettings,
    InferRequest,
    MockTransport,
    Router,
    Variant,
)
from tritonops.client.transport import Tensors
from tritonops.errors import ClientError, InputError, NoVariantAvailable

VARIANTS = [Variant("control", "m", weight=90), Variant("candidate", "m", weight=10)]
SHADOW = Variant("shadow", "m", weight=0)


def router(transports: dict[str, Any], **options: Any) -> Router:
    shadow = SHADOW if "shadow" in transports else None
    return Router(VARIANTS, transports=transports, shadow=shadow, seed=1, **options)


def test_requests_reach_the_assigned_variant_and_are_recorded() -> None:
    control, candidate = labelled(1), labelled(2)
    r = router({"control": control, "candidate": candidate})
    results = [r.infer(x(), key=f"user-{i}") for i in range(200)]
    for result in results:
        assert result.status == "ok"
        expected = 2.0 if result.variant == "control" else 3.0
        np.testing.assert_array_equal(result.outputs["y"], np.full((1, 4), expected))
    stats = r.stats()
    assert stats["control"].count + stats["candidate"].count == 200
    assert control.calls == stats["control"].count
    assert len(r.records) == 200


def test_records_never_contain_raw_keys() -> None:
    r = router({"control": labelled(1), "candidate": labelled(2)})
    keys = [f"secret-user-{i}" for i in range(50)]
    for key in keys:
        r.infer(x(), key=key)
    text = repr(r.records) + repr(r.stats())
    assert not any(key in text for key in keys)
    assert {rec.key_hash for rec in r.records} == {
        r.core.plan(x(), key, None).key_hash for key in keys
    }


def test_fallback_on_error_serves_from_the_next_variant() -> None:
    control, candidate = labelled(1), labelled(2)
    candidate.down = True
    r = router({"control": control, "candidate": candidate}, rules=[])
    r.set_weights({"control": 0, "candidate": 100})
    result = r.infer(x(), key="k")
    assert (result.status, result.variant, result.fallback_from) == ("ok", "control", "candidate")
    record = r.records[-1]
    assert (record.assigned, record.variant, record.status) == ("candidate", "control", "ok")


def test_without_fallback_the_error_comes_back() -> None:
    control, candidate = labelled(1), labelled(2)
    control.fail(1, ClientError("model raised", "500"))
    r = router({"control": control, "candidate": candidate}, fallback=False)
    r.set_weights({"control": 100, "candidate": 0})
    result = r.infer(x())
    assert result.status == "error"
    assert isinstance(result.error, ClientError)
    assert "model raised" in str(result.error)
    assert r.stats()["control"].errors == 1


def test_circuit_opens_after_failures_and_half_opens_after_cooldown() -> None:
    now = [0.0]
    control, candidate = labelled(1), labelled(2)
    candidate.down = True
    r = router(
        {"control": control, "candidate": candidate},
        circuit=CircuitSettings(failures=3, cooldown_s=10.0),
        clock=lambda: now[0],
    )
    r.set_weights({"control": 0, "candidate": 100})
    for _ in range(3):
        assert r.infer(x()).variant == "control"
    assert r.core.circuits["candidate"].state == "open"
    calls = candidate.calls
    for _ in range(5):
        assert r.infer(x()).fallback_from == "candidate"
    assert candidate.calls == calls  # open: not even tried
    now[0] = 11.0
    assert r.core.circuits["candidate"].state == "half_open"  # type: ignore[comparison-overlap]
    candidate.down = False
    result = r.infer(x())
    assert result.variant == "candidate"  # the probe went through and closed the circuit
    assert r.core.circuits["candidate"].state == "closed"


def test_a_failed_probe_reopens_the_circuit() -> None:
    now = [0.0]
    candidate = labelled(2)
    candidate.down = True
    r = router(
        {"control": labelled(1), "candidate": candidate},
        circuit=CircuitSettings(failures=1, cooldown_s=5.0),
        clock=lambda: now[0],
    )
    r.set_weights({"control": 0, "candidate": 100})
    r.infer(x())
    now[0] = 6.0
    r.infer(x())  # the probe fails
    assert r.core.circuits["candidate"].state == "open"
    assert r.core.circuits["candidate"].opened == 2


def test_every_variant_open_is_no_variant_available() -> None:
    a, b = labelled(1), labelled(2)
    a.down = b.down = True
    r = router({"control": a, "candidate": b}, circuit=CircuitSettings(failures=1))
    r.infer(x())
    result = r.infer(x())
    assert isinstance(result.error, NoVariantAvailable)


def test_input_errors_raise_and_are_not_counted_against_the_variant() -> None:
    r = router({"control": labelled(1), "candidate": labelled(2)})
    with pytest.raises(InputError, match="unknown input 'z'"):
        r.infer({"z": np.zeros((1, 4), np.float32)})
    assert r.core.circuits["control"].state == "closed"
    assert r.records == []


class Gate:
    """A shadow handler that blocks until released: the test controls when the shadow ends."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, request: InferRequest) -> Tensors:
        self.started.set()
        assert self.release.wait(10)
        return {"y": request.inputs["x"] + 1.5}


def test_shadow_never_alters_or_delays_the_primary() -> None:
    gate = Gate()
    shadow = MockTransport(gate, configs={"m": CONFIG})
    r = router({"control": labelled(1), "candidate": labelled(2), "shadow": shadow})
    r.set_weights({"control": 100, "candidate": 0})
    result = r.infer(x(), key="k")
    # the primary answered while the shadow is still running (blocked on the gate)
    assert result.status == "ok"
    np.testing.assert_array_equal(result.outputs["y"], np.full((1, 4), 2.0))
    assert len(r.shadows.pending) == 1
    assert not r.shadows.pending[0].done()
    assert r.shadow_comparisons == []
    gate.release.set()
    r.shadows.wait(10)
    (comparison,) = r.shadow_comparisons
    assert comparison.status == "ok"
    assert comparison.max_abs_diff == pytest.approx(0.5)
    assert comparison.argmax_equal is True
    assert comparison.equal is False
    assert r.records[-1].shadow is True
    np.testing.assert_array_equal(result.outputs["y"], np.full((1, 4), 2.0))


def test_shadow_errors_are_recorded_not_returned() -> None:
    shadow = labelled(9)
    shadow.fail(1, ClientError("shadow broke", "500"))
    r = router({"control": labelled(1), "candidate": labelled(2), "shadow": shadow})
    assert r.infer(x()).status == "ok"
    r.shadows.wait(10)
    (comparison,) = r.shadow_comparisons
    assert (comparison.status, comparison.max_abs_diff) == ("error", None)
    assert "shadow broke" in comparison.error


def test_saturated_shadows_are_dropped_and_counted() -> None:
    gate = Gate()
    shadow = MockTransport(gate, configs={"m": CONFIG})
    r = router({"control": labelled(1), "candidate": labelled(2), "shadow": shadow}, shadow_limit=2)
    for _ in range(5):
        assert r.infer(x()).status == "ok"
    assert r.shadows_dropped == 3
    gate.release.set()
    r.shadows.wait(10)
    assert len(r.shadow_comparisons) == 2


def test_async_shadow_is_still_pending_when_the_primary_returns() -> None:
    async def scenario() -> None:
        shadow = labelled(1)
        shadow.latency_s = 1.0
        r = AsyncRouter(
            VARIANTS,
            shadow=SHADOW,
            seed=1,
            transports={"control": labelled(1), "candidate": labelled(2), "shadow": shadow},
        )
        result = await r.infer(x(), key="user-1")
        (task,) = r.shadows.pending
        assert result.status == "ok"
        assert not task.done()
        assert r.shadow_comparisons == []
        task.cancel()
        await r.close()

    asyncio.run(scenario())


def test_async_router_falls_back_and_records_comparisons() -> None:
    async def scenario() -> None:
        control, candidate = labelled(1), labelled(2)
        candidate.down = True
        r = AsyncRouter(
            VARIANTS,
            shadow=SHADOW,
            transports={"control": control, "candidate": candidate, "shadow": labelled(1)},
        )
        r.set_weights({"control": 0, "candidate": 1})
        results = await asyncio.gather(*(r.infer(x(), key=f"k{i}") for i in range(20)))
        await r.shadows.wait()
        assert {res.variant for res in results} == {"control"}
        assert len(r.shadow_comparisons) == 20
        assert all(c.equal for c in r.shadow_comparisons)
        await r.close()

    asyncio.run(scenario())


def test_the_router_is_a_transport() -> None:
    r = router({"control": labelled(1), "candidate": labelled(2)})
    response = r.handle(InferRequest("ignored", x(), key="user-7"))
    assert response.extras["variant"] in {"control", "candidate"}
    assert r.model_config("m") == CONFIG


def _wires(stack: Any) -> list[Any]:
    pool = getattr(stack, "inner", stack)  # under the retry layer
    return list(pool.transports)


@pytest.mark.parametrize("router_class", [Router, AsyncRouter])
def test_variants_on_one_server_share_its_connection(router_class: Any) -> None:
    variants = [
        Variant("a", "m", endpoints=["127.0.0.1:1"]),
        Variant("b", "m2", endpoints=["127.0.0.1:1", "127.0.0.1:2"]),
        Variant("c", "m", endpoints=["127.0.0.1:2"]),
    ]
    router = router_class(variants)  # nothing connects until a call
    (a,) = _wires(router._transports["a"])
    b1, b2 = _wires(router._transports["b"])
    (c,) = _wires(router._transports["c"])
    assert a is b1
    assert b2 is c
    assert a is not c
    if router_class is Router:
        router.close()
        router.close()  # each stack closes the shared wire: harmless
    else:
        asyncio.run(router.close())
