"""Router and AsyncRouter take the same decisions and leave the same records.

Each case runs the SAME requests through both routers over fake transports and compares what
they answered (variant, status, error, fallback, key hash, who served, outputs) and what they
recorded (assignments, per-variant stats, shadow comparisons). Each case also asserts what the
answer must be, so two routers drifting the same wrong way still fail.

The fakes come in two kinds, so both sides of the transport protocol's fast call are covered:
``FakeTransport`` has only the four required methods (the router wraps ``handle``), and
``FakeSendTransport`` adds its own ``send`` / ``send_async``. Every case also runs with each
variant's fakes under the real pool and retry layers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from client_fixtures import CONFIG

from tritonops.client import (
    AsyncEndpointPool,
    AsyncRetryTransport,
    AsyncRouter,
    AttributeRule,
    CircuitSettings,
    EndpointPool,
    InferRequest,
    InferResponse,
    RetryPolicy,
    RetryTransport,
    RoutedResult,
    Router,
    Rule,
    Variant,
)
from tritonops.client.transport import Answer, Tensors
from tritonops.errors import ClientError, InputError, UnavailableError

X = np.ones((1, 4), np.float32)


class FakeTransport:
    """A fake for unit tests: answers ``y = x + label``, sync and asyncio alike.

    ``broken`` makes every call raise ``UnavailableError`` (a server that cannot be reached);
    ``rejecting`` makes every call raise a plain ``ClientError`` (the model refused it).
    """

    def __init__(self, label: float, name: str) -> None:
        self.label = label
        self.name = name
        self.broken = False
        self.rejecting = False
        self.calls = 0
        self.closed = False

    def _outputs(self, inputs: Tensors, model: str) -> dict[str, Any]:
        self.calls += 1
        if self.broken:
            raise UnavailableError(f"{self.name} is down", "StatusCode.UNAVAILABLE")
        if self.rejecting:
            raise ClientError(f"{self.name} rejected {model!r}", "StatusCode.INTERNAL")
        return {"y": np.asarray(inputs["x"]) + self.label}

    def handle(self, request: InferRequest) -> InferResponse:
        outputs = self._outputs(request.inputs, request.model)
        return InferResponse(outputs, request.model, request.version or "1", self.name)

    async def handle_async(self, request: InferRequest) -> InferResponse:
        await asyncio.sleep(0)  # a real suspension point, as a network call has
        return self.handle(request)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        return CONFIG

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        return CONFIG

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        return {"name": model}

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        return {"name": model}

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class FakeSendTransport(FakeTransport):
    """``FakeTransport`` with the protocol's fast call of its own; ``handle`` must not be used."""

    def handle(self, request: InferRequest) -> InferResponse:
        raise AssertionError("the router should use send, not handle")

    def send(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        return self._outputs(inputs, model), model, version or "1", self.name

    async def send_async(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        await asyncio.sleep(0)
        return self.send(model, inputs, version, headers, timeout_s)


VARIANTS = [
    Variant("control", "m", weight=70),
    Variant("candidate", "m", "2", weight=30),
    Variant("drained", "m", weight=0),
]
LABELS = {"control": 1.0, "candidate": 2.0, "drained": 3.0, "shadow": 1.0}
SHADOW = Variant("shadow", "m_shadow", weight=0)


class Clock:
    """A fake monotonic clock the circuits read; cases move it by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Case:
    """One scenario: router options, the requests, and what to break before which request."""

    options: dict[str, Any] = field(default_factory=dict)
    # (key, attributes) per request, in order
    requests: Sequence[tuple[str | None, dict[str, Any] | None]] = ()
    # request index -> change to the fakes (and the clock) before that request
    events: Mapping[int, Callable[[dict[str, FakeTransport], Clock], None]] = field(
        default_factory=dict
    )
    shadow: bool = False


def summary(result: RoutedResult) -> tuple[Any, ...]:
    """Everything a routed result says, in comparable form (no latency)."""
    return (
        result.variant, result.status, type(result.error).__name__ if result.error else None,
        result.fallback_from, result.key_hash, result.model, result.version, result.endpoint,
        {k: v.tolist() for k, v in result.outputs.items()},
    )  # fmt: skip


@dataclass
class Outcome:
    results: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]
    stats: dict[str, tuple[int, int]]
    comparisons: list[tuple[Any, ...]]
    calls: dict[str, int]


def outcome(router: Router | AsyncRouter, results: list[RoutedResult], fakes: Any) -> Outcome:
    return Outcome(
        [summary(r) for r in results],
        [
            (a.variant, a.assigned, a.key_hash, a.status, a.shadow, a.fallback_from, a.rule)
            for a in router.records
        ],
        {name: (s.count, s.errors) for name, s in router.stats().items()},
        # shadow calls finish in any order: compare them as a sorted list
        sorted(
            (c.shadow, c.primary, c.key_hash or "", c.status, c.max_abs_diff, c.equal)
            for c in router.shadow_comparisons
        ),
        {name: fake.calls for name, fake in fakes.items()},
    )


def fakes_for(kind: type[FakeTransport], case: Case) -> dict[str, FakeTransport]:
    names = [v.name for v in VARIANTS] + (["shadow"] if case.shadow else [])
    return {name: kind(LABELS[name], f"fake-{name}") for name in names}


def sync_stack(fake: FakeTransport, stacked: bool) -> Any:
    if not stacked:
        return fake
    return RetryTransport(EndpointPool([fake]), RetryPolicy(1), sleep=lambda s: None)


def async_stack(fake: FakeTransport, stacked: bool) -> Any:
    if not stacked:
        return fake

    async def no_wait(seconds: float) -> None:
        return None

    return AsyncRetryTransport(AsyncEndpointPool([fake]), RetryPolicy(1), sleep=no_wait)


def run_sync(case: Case, kind: type[FakeTransport], stacked: bool) -> Outcome:
    fakes, clock = fakes_for(kind, case), Clock()
    router = Router(
        VARIANTS, transports={n: sync_stack(f, stacked) for n, f in fakes.items()},
        shadow=SHADOW if case.shadow else None, clock=clock, **case.options,
    )  # fmt: skip
    results = []
    for index, (key, attributes) in enumerate(case.requests):
        if index in case.events:
            case.events[index](fakes, clock)
        results.append(router.infer({"x": X}, key=key, attributes=attributes))
        router.shadows.wait(10)  # shadows finish before the next event changes the fakes
    router.close()
    assert all(f.closed for f in fakes.values())
    return outcome(router, results, fakes)


def run_async(case: Case, kind: type[FakeTransport], stacked: bool) -> Outcome:
    async def scenario() -> Outcome:
        fakes, clock = fakes_for(kind, case), Clock()
        router = AsyncRouter(
            VARIANTS, transports={n: async_stack(f, stacked) for n, f in fakes.items()},
            shadow=SHADOW if case.shadow else None, clock=clock, **case.options,
        )  # fmt: skip
        results = []
        for index, (key, attributes) in enumerate(case.requests):
            if index in case.events:
                case.events[index](fakes, clock)
            results.append(await router.infer({"x": X}, key=key, attributes=attributes))
            await router.shadows.wait()
        await router.close()
        assert all(f.closed for f in fakes.values())
        return outcome(router, results, fakes)

    return asyncio.run(scenario())


def break_(*names: str) -> Callable[[dict[str, FakeTransport], Clock], None]:
    def event(fakes: dict[str, FakeTransport], clock: Clock) -> None:
        for name in names:
            fakes[name].broken = True

    return event


def reject(*names: str) -> Callable[[dict[str, FakeTransport], Clock], None]:
    def event(fakes: dict[str, FakeTransport], clock: Clock) -> None:
        for name in names:
            fakes[name].rejecting = True

    return event


def heal_after(seconds: float) -> Callable[[dict[str, FakeTransport], Clock], None]:
    def event(fakes: dict[str, FakeTransport], clock: Clock) -> None:
        for fake in fakes.values():
            fake.broken = fake.rejecting = False
        clock.now += seconds

    return event


KEYS = [f"user-{i}" for i in range(40)]
TIER = Rule(lambda inputs, attrs: attrs.get("tier") == "beta", "candidate", name="beta")

CASES: dict[str, Case] = {
    "weights": Case({"seed": 11}, [(None, None)] * 60),
    "stickiness": Case({"seed": 5}, [(k, None) for k in KEYS + KEYS[::-1]]),
    "keys without stickiness": Case({"seed": 5, "sticky": False}, [(k, None) for k in KEYS]),
    "rules": Case(
        {"seed": 3, "rules": [TIER, AttributeRule("x-variant")]},
        [
            ("k1", {"tier": "beta"}),
            ("k2", {"x-variant": "drained"}),
            ("k3", {"x-variant": "nobody"}),
            ("k4", {"tier": "beta", "x-variant": "control"}),
            (None, {"tier": "beta"}),
            ("k5", None),
        ],
    ),
    "shadow": Case({"seed": 2}, [(k, None) for k in KEYS[:10]], {5: break_("shadow")}, True),
    "fallback on failure": Case(
        {"seed": 4}, [(k, None) for k in KEYS[:20]], {0: break_("candidate")}
    ),
    "no fallback": Case(
        {"seed": 4, "fallback": False, "circuit": CircuitSettings(failures=100, window=100)},
        [(k, None) for k in KEYS[:20]],
        {0: reject("candidate")},
    ),
    "circuit open": Case(
        {
            "seed": 6,
            "fallback": False,
            "rules": [AttributeRule("x-variant")],
            "circuit": CircuitSettings(failures=2, cooldown_s=5.0),
        },
        [(None, {"x-variant": "candidate"})] * 8,
        {0: break_("candidate"), 6: heal_after(6.0)},
    ),
    "every circuit open": Case(
        {"seed": 6, "circuit": CircuitSettings(failures=1, cooldown_s=5.0)},
        [(k, None) for k in KEYS[:4]],
        {0: break_("control", "candidate", "drained")},
        True,
    ),
}

KINDS = {"handle": FakeTransport, "send": FakeSendTransport}


@pytest.fixture(params=list(CASES), scope="module")
def case_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("stacked", [False, True], ids=["bare", "pool+retry"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_both_routers_decide_and_record_the_same(case_name: str, kind: str, stacked: bool) -> None:
    case = CASES[case_name]
    sync = run_sync(case, KINDS[kind], stacked)
    asynchronous = run_async(case, KINDS[kind], stacked)
    assert sync.results == asynchronous.results
    assert sync.records == asynchronous.records
    assert sync.stats == asynchronous.stats
    assert sync.comparisons == asynchronous.comparisons
    assert sync.calls == asynchronous.calls
    EXPECTED[case_name](sync, 2 if stacked else 1)  # the retry layer makes 2 attempts


# What each case must show, whichever router ran it (results: see ``summary``)
def _weights(o: Outcome, attempts: int) -> None:
    served = [r[0] for r in o.results]
    assert {"control", "candidate"} == set(served)  # both drawn, the drained one never
    assert served.count("control") > served.count("candidate")
    assert all(r[4] is None for r in o.results)  # no key, no key hash


def _stickiness(o: Outcome, attempts: int) -> None:
    by_key: dict[str, set[str]] = {}
    for (key, _), result in zip(CASES["stickiness"].requests, o.results, strict=True):
        by_key.setdefault(str(key), set()).add(result[0])
    assert all(len(served) == 1 for served in by_key.values())  # a key keeps its variant
    assert {"control", "candidate"} == set().union(*by_key.values())
    assert len({r[4] for r in o.results}) == len(KEYS)  # one hash per key


def _not_sticky(o: Outcome, attempts: int) -> None:
    assert all(r[4] is not None for r in o.results)  # keys are still hashed and recorded
    assert all(r[1] == "ok" for r in o.results)


def _rules(o: Outcome, attempts: int) -> None:
    served = [r[0] for r in o.results]
    assert served[:5] == ["candidate", "drained", served[2], "candidate", "candidate"]
    rules = [record[6] for record in o.records]
    assert rules[:5] == ["beta", "attribute:x-variant", None, "beta", "beta"]
    assert rules[5] is None


def _shadow(o: Outcome, attempts: int) -> None:
    assert all(record[4] for record in o.records)  # every request was mirrored
    statuses = [c[3] for c in o.comparisons]
    assert statuses.count("ok") == 5
    assert statuses.count("error") == 5
    assert all(c[0] == "shadow" for c in o.comparisons)
    ok_diffs = {(c[1], c[4]) for c in o.comparisons if c[3] == "ok"}
    # the shadow adds 1.0 as control does, 1.0 less than candidate
    assert ok_diffs <= {("control", 0.0), ("candidate", 1.0)}


def _fallback(o: Outcome, attempts: int) -> None:
    assert all(r[0] == "control" and r[1] == "ok" for r in o.results)
    moved = [r for r in o.results if r[3] == "candidate"]
    assert moved  # some keys were assigned the broken candidate and fell back
    assert "candidate" not in o.stats  # a failed attempt that fell back is no failed request


def _no_fallback(o: Outcome, attempts: int) -> None:
    failed = [r for r in o.results if r[1] == "error"]
    assert failed
    assert all(r[0] == "candidate" and r[2] == "ClientError" for r in failed)
    assert all(r[3] is None for r in o.results)


def _circuit(o: Outcome, attempts: int) -> None:
    errors = [r[2] for r in o.results]
    # two failures open the circuit; later requests never reach the fake until the cooldown ends
    assert errors[:6] == ["UnavailableError"] * 2 + ["NoVariantAvailable"] * 4
    assert o.calls["candidate"] == 2 * attempts + 2
    assert [r[1] for r in o.results[6:]] == ["ok", "ok"]  # half-open, then closed again


def _all_open(o: Outcome, attempts: int) -> None:
    assert o.results[0][2] == "UnavailableError"  # every variant tried, the last error kept
    assert all(r[2] == "NoVariantAvailable" for r in o.results[1:])
    assert all(record[3] == "error" for record in o.records)
    assert [c[3] for c in o.comparisons] == ["ok"] * 4  # failed requests are mirrored too
    assert all(c[4] is None for c in o.comparisons)  # nothing to compare with


EXPECTED: dict[str, Callable[[Outcome, int], None]] = {
    "weights": _weights,
    "stickiness": _stickiness,
    "keys without stickiness": _not_sticky,
    "rules": _rules,
    "shadow": _shadow,
    "fallback on failure": _fallback,
    "no fallback": _no_fallback,
    "circuit open": _circuit,
    "every circuit open": _all_open,
}


def test_both_routers_refuse_wrong_inputs_before_sending() -> None:
    fakes = {v.name: FakeTransport(LABELS[v.name], v.name) for v in VARIANTS}
    bad = {"x": np.ones((1, 5), np.float32)}
    with pytest.raises(InputError) as sync_error:
        Router(VARIANTS, transports=fakes).infer(bad)

    async def scenario() -> InputError:
        with pytest.raises(InputError) as info:
            await AsyncRouter(VARIANTS, transports=fakes).infer(bad)
        return info.value

    assert str(asyncio.run(scenario())) == str(sync_error.value)
    assert sum(f.calls for f in fakes.values()) == 0


def test_routers_nest_as_transports() -> None:
    inner_fakes = {v.name: FakeSendTransport(LABELS[v.name], v.name) for v in VARIANTS}
    inner = Router(VARIANTS, transports=inner_fakes, seed=1)
    outer_variants = [Variant("routed", "m"), Variant("spare", "m", weight=0)]
    outer = Router(
        outer_variants, transports={"routed": inner, "spare": FakeTransport(9.0, "spare")}
    )
    result = outer.infer({"x": X})
    assert (result.variant, result.status) == ("routed", "ok")
    assert result.endpoint in {"control", "candidate"}
    assert len(inner.records) == 1

    async def scenario() -> tuple[str, str]:
        fakes = {v.name: FakeSendTransport(LABELS[v.name], v.name) for v in VARIANTS}
        nested = AsyncRouter(VARIANTS, transports=fakes, seed=1)
        async with AsyncRouter(
            outer_variants, transports={"routed": nested, "spare": FakeTransport(9.0, "spare")}
        ) as router:
            routed = await router.infer({"x": X})
        assert all(f.closed for f in fakes.values())  # closing the outer closed the inner
        return routed.variant, routed.endpoint

    assert asyncio.run(scenario()) == ("routed", result.endpoint)  # same seed, same draw
