"""``Router`` and ``AsyncRouter``: A/B traffic over variants, as a transport made of transports.

Each variant has its own transport stack (endpoints round-robin with failover, retries on
UNAVAILABLE), called through the transport protocol's fast call (``send``) whatever it is made of.
Both routers drive the same walk of the shared ``RoutingCore`` (plan, fallback, circuits, records,
shadow copies) and differ only in how they send: blocking, or awaited. They never decide
promotions: they record. Each is itself a transport, so routers nest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

from tritonops.client.circuit import CircuitSettings
from tritonops.client.client import build_async_transport, build_transport
from tritonops.client.input_checks import Signature, check_inputs
from tritonops.client.records import Assignment, ShadowComparison, VariantStats
from tritonops.client.routing import RoutedResult, RoutingCore, RuleLike, Variant
from tritonops.client.shadow import AsyncShadows, ThreadShadows
from tritonops.client.transport import (
    Answer,
    AsyncSend,
    AsyncTransport,
    Attributes,
    InferRequest,
    InferResponse,
    Send,
    Tensors,
    Transport,
    async_sender,
    sender,
)
from tritonops.errors import ClientError
from tritonops.spec.experiments import ExperimentSpec


def variants_from_experiment(
    experiment: ExperimentSpec, url: str
) -> tuple[list[Variant], Variant | None]:
    """The experiment's arms as Variants (each at its own URL, else ``url``), and its shadow."""
    variants = [
        Variant(v.name, v.model, str(v.version) if v.version else "", v.weight, (v.url or url,))
        for v in experiment.variants
    ]
    shadow = None
    if experiment.shadow is not None:
        spec = experiment.shadow
        if spec.variant is not None:
            named = {v.name: v for v in variants}
            if spec.variant not in named:
                raise ClientError(
                    f"experiment {experiment.name!r}: shadow names unknown variant {spec.variant!r}"
                )
            shadow = named[spec.variant]
        elif spec.model is not None:
            version = str(spec.version) if spec.version else ""
            shadow = Variant(f"shadow:{spec.model}", spec.model, version, 0.0, (url,))
    return variants, shadow


class _RouterBase:
    """What both routers share: the routing core, the input check, and the read-only views.

    Every decision (plan, fallback, circuits, records, shadow copies) is ``RoutingCore``'s; the
    subclasses only send, blocking or awaited.
    """

    core: RoutingCore
    check: bool
    _signatures: dict[str, Signature]
    # per variant (and shadow): the (model, version) its fast call sends
    _targets: dict[str, tuple[str, str]]

    def _start(
        self,
        variants: Sequence[Variant],
        *,
        sticky: bool,
        shadow: Variant | None,
        rules: Sequence[RuleLike],
        fallback: bool,
        circuit: CircuitSettings | None,
        check: bool,
        seed: int | None,
        clock: Callable[[], float],
    ) -> list[Variant]:
        """Set up the shared state; returns every arm that needs a transport (shadow last)."""
        self.core = RoutingCore(
            variants, sticky=sticky, shadow=shadow, rules=rules, fallback=fallback,
            circuit=circuit, seed=seed, clock=clock,
        )  # fmt: skip
        self.check = check
        self._signatures = {}
        arms = [*variants, *([shadow] if shadow is not None else [])]
        self._targets = {v.name: (v.model, v.version) for v in arms}
        return arms

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Change some variants' weights (names left out keep theirs), safe while routing.

        Sticky keys move only as far as the new weights require (rendezvous hashing). Raises
        ``ClientError`` for an unknown name or a negative weight.
        """
        self.core.set_weights(weights)

    @property
    def weights(self) -> dict[str, float]:
        """The current weight of each variant, by name."""
        return self.core.weights

    @property
    def records(self) -> list[Assignment]:
        """One ``Assignment`` per routed request, oldest first (the last 100 000 are kept)."""
        return self.core.recorder.assignments

    @property
    def shadow_comparisons(self) -> list[ShadowComparison]:
        """One ``ShadowComparison`` per finished shadow call: its answer against the primary's."""
        return self.core.recorder.comparisons

    @property
    def shadows_dropped(self) -> int:
        """Shadow calls skipped because ``shadow_limit`` were already in flight."""
        return self.core.recorder.shadows_dropped

    def stats(self) -> dict[str, VariantStats]:
        """A snapshot per variant that served or failed: count, errors, successful latencies."""
        return self.core.recorder.stats()

    @classmethod
    def from_experiment(
        cls, experiment: ExperimentSpec, url: str, protocol: str = "grpc", **options: Any
    ) -> Self:
        """The experiment's variants and shadow; sticky when it names a sticky key."""
        variants, shadow = variants_from_experiment(experiment, url)
        options.setdefault("sticky", experiment.sticky_key is not None)
        return cls(variants, protocol=protocol, shadow=shadow, **options)  # type: ignore[call-arg]

    def _first(self) -> str:
        # config and metadata reads go to the heaviest variant's transport
        return max(self.core.variants.values(), key=lambda v: v.weight).name


def _answer(routed: RoutedResult) -> Answer:
    """A routed result as the transport protocol's answer; a failure raises its error."""
    if routed.error is not None:
        raise routed.error
    return routed.outputs, routed.model, routed.version, routed.endpoint


def _response(routed: RoutedResult) -> InferResponse:
    outputs, model, version, endpoint = _answer(routed)
    return InferResponse(outputs, model, version, endpoint, {"variant": routed.variant})


class Router(_RouterBase):
    """A/B routing for blocking code: each request goes to one variant, and is recorded.

    ::

        variants = [Variant("control", "m_v1", weight=90, endpoints=["triton:8001"]),
                    Variant("candidate", "m_v2", weight=10, endpoints=["triton:8001"])]
        with Router(variants) as router:
            routed = router.infer({"x": batch}, key=user_id)   # sticky per user
            routed.variant, routed.status, routed.outputs

    Args:
        variants: the arms, with distinct names; weights are relative shares.
        protocol: ``"grpc"`` or ``"http"``, for every variant's endpoints.
        sticky: a request's ``key`` always maps to the same variant while weights stay the same
            (weighted rendezvous hashing); requests without a key are drawn by weight.
        shadow: a variant (or any model) that receives a copy of every request in the
            background; its answers are compared with the primary's, never returned.
        rules: callables ``(inputs, attributes) -> variant name | None`` consulted first, in
            order (``Rule``, ``AttributeRule``); the first name returned wins.
        fallback: when the chosen variant fails, try the others, heaviest first.
        circuit: per-variant circuit breaker settings (``CircuitSettings``).
        timeout_s, retries: as for ``Client``, per variant transport.
        headers: sent with every call of the built transports (config reads, inference and
            shadow copies); a request's own ``headers`` add to them.
        transports: ready transports by variant name (e.g. ``MockTransport``) instead of the
            network.
        check: check inputs against each variant's model config before sending.
        shadow_limit: most shadow calls in flight; more are dropped and counted.
        seed: seed of the weighted draws, for repeatable runs.
        clock: the monotonic clock circuit breakers read (tests pass a fake one).
    """

    def __init__(
        self,
        variants: Sequence[Variant],
        *,
        protocol: str = "grpc",
        sticky: bool = True,
        shadow: Variant | None = None,
        rules: Sequence[RuleLike] = (),
        fallback: bool = True,
        circuit: CircuitSettings | None = None,
        timeout_s: float = 10.0,
        retries: int = 1,
        headers: Mapping[str, str] | None = None,
        transports: Mapping[str, Transport] | None = None,
        check: bool = True,
        shadow_limit: int = 16,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        arms = self._start(
            variants, sticky=sticky, shadow=shadow, rules=rules, fallback=fallback,
            circuit=circuit, check=check, seed=seed, clock=clock,
        )  # fmt: skip
        given = dict(transports or {})
        wires: dict[str, Transport] = {}  # one connection per server, whatever the variants
        self._transports: dict[str, Transport] = {
            v.name: given.get(v.name)
            or build_transport(v.endpoints, protocol, timeout_s, retries, wires, headers)
            for v in arms
        }
        # per variant, the stack's fast call, looked up once
        self._sends: dict[str, Send] = {n: sender(t) for n, t in self._transports.items()}
        self.shadows = ThreadShadows(self.core.recorder, limit=shadow_limit)

    def _signature(self, name: str) -> Signature:
        found = self._signatures.get(name)
        if found is None:
            v = self.core.variants[name]
            config = self._transports[name].model_config(v.model, v.version)
            found = self._signatures[name] = Signature.from_config(v.model, config)
        return found

    def infer(
        self,
        inputs: Tensors,
        *,
        key: str | None = None,
        attributes: Attributes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> RoutedResult:
        """Route one request and return who answered with what.

        Args:
            inputs: input name -> array, as for ``Client.infer``.
            key: the stickiness key (a user or session id); only its hash is recorded.
            attributes: what rules look at (e.g. headers of the incoming request).
            headers: sent to the server with the request.
            timeout_s: this call's time limit; None: the router's ``timeout_s``.

        A server-side failure does not raise: the result has ``status="error"`` and the
        ``ClientError`` in ``error`` (``NoVariantAvailable`` when every circuit is open). Only
        ``InputError`` raises, since the request itself is wrong.
        """
        # the core's walk decides; this loop only checks inputs and sends (see RoutingCore.route)
        route = self.core.route(inputs, key, attributes)
        sends, targets = self._sends, self._targets
        try:
            name = next(route)
            while True:
                if self.check:
                    signature = self._signatures.get(name) or self._signature(name)
                    if not signature.fits(inputs):  # the cheap yes first; else name every problem
                        check_inputs(signature, inputs)
                model, version = targets[name]
                try:
                    answer = sends[name](model, inputs, version, headers, timeout_s)
                except ClientError as exc:
                    name = route.throw(exc)
                else:
                    name = route.send(answer)
        except StopIteration as done:
            result: RoutedResult = done.value
        if self.core.shadow is not None:
            self._mirror(result, inputs, headers, timeout_s)
        return result

    def _mirror(
        self,
        primary: RoutedResult,
        inputs: Tensors,
        headers: Mapping[str, str] | None,
        timeout_s: float | None,
    ) -> None:
        core = self.core
        shadow = core.shadow_target(primary)
        if shadow is None:
            return
        send = self._sends[shadow.name]
        model, version = self._targets[shadow.name]

        def job() -> None:
            started = time.perf_counter()
            try:
                outputs = send(model, inputs, version, headers, timeout_s)[0]
            except ClientError as exc:
                core.shadow_outcome(primary, None, exc, started)
            else:
                core.shadow_outcome(primary, outputs, None, started)

        self.shadows.submit(job)

    def handle(self, request: InferRequest) -> InferResponse:
        """The transport interface: route by ``request.key`` / ``attributes``; raise on error."""
        return _response(
            self.infer(
                request.inputs, key=request.key, attributes=request.attributes,
                headers=request.headers, timeout_s=request.timeout_s,
            )
        )  # fmt: skip

    def send(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """The transport protocol's fast call: route without a key; raise on error.

        ``model`` and ``version`` are ignored: each variant sends to its own.
        """
        return _answer(self.infer(inputs, headers=headers, timeout_s=timeout_s))

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s config, read through the heaviest variant's endpoints."""
        return self._transports[self._first()].model_config(model, version)

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s metadata, read through the heaviest variant's endpoints."""
        return self._transports[self._first()].metadata(model, version)

    def close(self) -> None:
        """Wait for shadow calls in flight, then close every variant's connections."""
        self.shadows.close()
        for transport in self._transports.values():
            transport.close()

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRouter(_RouterBase):
    """A/B routing for asyncio code: ``Router``'s arguments and records, ``infer`` a coroutine.

    Shadow calls run as asyncio tasks (at most ``shadow_limit``, 64 by default); ``close`` (or
    leaving ``async with``) waits for them.
    """

    def __init__(
        self,
        variants: Sequence[Variant],
        *,
        protocol: str = "grpc",
        sticky: bool = True,
        shadow: Variant | None = None,
        rules: Sequence[RuleLike] = (),
        fallback: bool = True,
        circuit: CircuitSettings | None = None,
        timeout_s: float = 10.0,
        retries: int = 1,
        headers: Mapping[str, str] | None = None,
        transports: Mapping[str, AsyncTransport] | None = None,
        check: bool = True,
        shadow_limit: int = 64,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        arms = self._start(
            variants, sticky=sticky, shadow=shadow, rules=rules, fallback=fallback,
            circuit=circuit, check=check, seed=seed, clock=clock,
        )  # fmt: skip
        given = dict(transports or {})
        wires: dict[str, AsyncTransport] = {}
        self._transports: dict[str, AsyncTransport] = {
            v.name: given.get(v.name)
            or build_async_transport(v.endpoints, protocol, timeout_s, retries, wires, headers)
            for v in arms
        }
        self._sends: dict[str, AsyncSend] = {
            n: async_sender(t) for n, t in self._transports.items()
        }
        self.shadows = AsyncShadows(self.core.recorder, limit=shadow_limit)

    async def _signature(self, name: str) -> Signature:
        found = self._signatures.get(name)
        if found is None:
            v = self.core.variants[name]
            config = await self._transports[name].model_config_async(v.model, v.version)
            found = self._signatures[name] = Signature.from_config(v.model, config)
        return found

    async def infer(
        self,
        inputs: Tensors,
        *,
        key: str | None = None,
        attributes: Attributes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> RoutedResult:
        """Route one request; arguments, result and errors as ``Router.infer``."""
        # Router.infer's loop, awaiting the send: the same walk decides
        route = self.core.route(inputs, key, attributes)
        sends, targets = self._sends, self._targets
        try:
            name = next(route)
            while True:
                if self.check:
                    signature = self._signatures.get(name) or await self._signature(name)
                    if not signature.fits(inputs):
                        check_inputs(signature, inputs)
                model, version = targets[name]
                try:
                    answer = await sends[name](model, inputs, version, headers, timeout_s)
                except ClientError as exc:
                    name = route.throw(exc)
                else:
                    name = route.send(answer)
        except StopIteration as done:
            result: RoutedResult = done.value
        if self.core.shadow is not None:
            self._mirror(result, inputs, headers, timeout_s)
        return result

    def _mirror(
        self,
        primary: RoutedResult,
        inputs: Tensors,
        headers: Mapping[str, str] | None,
        timeout_s: float | None,
    ) -> None:
        core = self.core
        shadow = core.shadow_target(primary)
        if shadow is None:
            return
        send = self._sends[shadow.name]
        model, version = self._targets[shadow.name]

        async def job() -> None:
            started = time.perf_counter()
            try:
                outputs = (await send(model, inputs, version, headers, timeout_s))[0]
            except ClientError as exc:
                core.shadow_outcome(primary, None, exc, started)
            else:
                core.shadow_outcome(primary, outputs, None, started)

        # scheduled, never awaited here: the primary answer does not wait for the shadow
        self.shadows.submit(job())

    async def handle_async(self, request: InferRequest) -> InferResponse:
        """The transport interface: route by ``request.key`` / ``attributes``; raise on error."""
        return _response(
            await self.infer(
                request.inputs, key=request.key, attributes=request.attributes,
                headers=request.headers, timeout_s=request.timeout_s,
            )
        )  # fmt: skip

    async def send_async(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """The transport protocol's fast call, as ``Router.send``."""
        return _answer(await self.infer(inputs, headers=headers, timeout_s=timeout_s))

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s config, read through the heaviest variant's endpoints."""
        return await self._transports[self._first()].model_config_async(model, version)

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s metadata, read through the heaviest variant's endpoints."""
        return await self._transports[self._first()].metadata_async(model, version)

    async def close(self) -> None:
        """Wait for shadow tasks in flight, then close every variant's connections."""
        await self.shadows.close()
        for transport in self._transports.values():
            await transport.aclose()

    async def aclose(self) -> None:
        """Deprecated name of ``close``; kept because ``AsyncTransport`` closes with ``aclose``
        (so a router can sit under another one)."""
        await self.close()

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
