"""``Router`` and ``AsyncRouter``: A/B traffic over variants, as a transport made of transports.

Each variant has its own transport stack (endpoints round-robin with failover, retries on
UNAVAILABLE); the routers ask the shared ``RoutingCore`` which variants to try, send, fall back on
error, and mirror to the shadow in the background. They never decide promotions: they record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from time import perf_counter_ns
from typing import Any, Self, TypeAlias

from tritonops.client.checks import Signature, check_inputs
from tritonops.client.circuit import CircuitSettings
from tritonops.client.client import build_async_transport, build_transport
from tritonops.client.pool import EndpointPool
from tritonops.client.records import Assignment, ShadowComparison, VariantStats
from tritonops.client.retry import RetryTransport
from tritonops.client.routing import RoutedResult, RoutingCore, RuleLike, Variant
from tritonops.client.shadow import AsyncShadows, ThreadShadows
from tritonops.client.transport import (
    AsyncTransport,
    Attributes,
    InferRequest,
    InferResponse,
    Tensors,
    Transport,
)
from tritonops.client.wire import GrpcTransport
from tritonops.errors import ClientError, UnavailableError
from tritonops.spec.experiments import ExperimentSpec
from tritonops.triton.grpc_messages import Answer


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


# one variant's send: (inputs, headers, timeout_s) → (outputs, model, version, endpoint)
Send: TypeAlias = Callable[[Tensors, "Mapping[str, str] | None", "float | None"], Answer]


def _sender(transport: Transport, variant: Variant) -> Send:
    """``transport`` as one call for ``variant``, collapsed when it is the stack we built.

    For one gRPC endpoint (the common case) the call goes straight to the wire: no request or
    response object, no pool, no retry frame; the retry loop is entered only when that first
    attempt fails with ``UnavailableError``, with the same waits and attempts as the stack.
    Any other transport (several endpoints, HTTP, one given by the caller) is called as is.
    """
    model, version = variant.model, variant.version
    retry = transport if isinstance(transport, RetryTransport) else None
    pool = retry.inner if retry is not None else transport
    if (
        type(pool) is EndpointPool
        and len(pool.transports) == 1
        and type(pool.transports[0]) is GrpcTransport
    ):
        send = pool.transports[0].send

        def direct(
            inputs: Tensors, headers: Mapping[str, str] | None, timeout_s: float | None
        ) -> Answer:
            try:
                return send(model, inputs, version, headers, timeout_s)
            except UnavailableError:
                if retry is None:
                    raise
                request = InferRequest(model, inputs, version, None, headers, timeout_s)
                response = retry.handle_after_unavailable(request)
                return response.outputs, response.model, response.version, response.endpoint

        return direct
    handle = transport.handle

    def stacked(
        inputs: Tensors, headers: Mapping[str, str] | None, timeout_s: float | None
    ) -> Answer:
        response = handle(InferRequest(model, inputs, version, None, headers, timeout_s))
        return response.outputs, response.model, response.version, response.endpoint

    return stacked


class _RouterBase:
    """Read-only views shared by both routers."""

    core: RoutingCore

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
        transports: Mapping[str, Transport] | None = None,
        check: bool = True,
        shadow_limit: int = 16,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = RoutingCore(
            variants, sticky=sticky, shadow=shadow, rules=rules, fallback=fallback,
            circuit=circuit, seed=seed, clock=clock,
        )  # fmt: skip
        given = dict(transports or {})
        arms = [*variants, *([shadow] if shadow is not None else [])]
        wires: dict[str, Transport] = {}  # one connection per server, whatever the variants
        self._transports: dict[str, Transport] = {
            v.name: given.get(v.name)
            or build_transport(v.endpoints, protocol, timeout_s, retries, wires)
            for v in arms
        }
        # per variant, the whole transport stack collapsed into one call, made once
        self._calls: dict[str, Send] = {v.name: _sender(self._transports[v.name], v) for v in arms}
        self.check = check
        self._signatures: dict[str, Signature] = {}
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
        started = perf_counter_ns()
        core = self.core
        plan = core.plan(inputs, key, attributes)
        circuits = core.circuits
        last: str | None = None
        error: ClientError | None = None
        for name in plan.order:
            if not circuits[name].allow():
                continue
            if self.check:
                signature = self._signatures.get(name)
                if signature is None:
                    signature = self._signature(name)
                if not signature.fits(inputs):  # the cheap yes first; else name every problem
                    check_inputs(signature, inputs)
            try:
                outputs, model, version, endpoint = self._calls[name](inputs, headers, timeout_s)
            except ClientError as exc:
                core.failure(name)
                last, error = name, exc
                continue
            result = core.served(plan, name, outputs, model, version, endpoint, started)
            if core.shadow is not None:
                self._mirror(result, inputs, headers, timeout_s)
            return result
        result = core.give_up(plan, last, error, started)
        self._mirror(result, inputs, headers, timeout_s)
        return result

    def _mirror(
        self,
        primary: RoutedResult,
        inputs: Tensors,
        headers: Mapping[str, str] | None,
        timeout_s: float | None,
    ) -> None:
        shadow = self.core.shadow
        if shadow is None or not self.core.should_shadow(primary.variant):
            return
        request = InferRequest(shadow.model, inputs, shadow.version, None, headers, timeout_s)
        transport = self._transports[shadow.name]

        def job() -> None:
            started = time.perf_counter()
            try:
                response = transport.handle(request)
            except ClientError as exc:
                self.core.shadow_outcome(primary, None, exc, started)
            else:
                self.core.shadow_outcome(primary, response, None, started)

        self.shadows.submit(job)

    def handle(self, request: InferRequest) -> InferResponse:
        """The transport interface: route by ``request.key`` / ``attributes``; raise on error."""
        routed = self.infer(
            request.inputs, key=request.key, attributes=request.attributes,
            headers=request.headers, timeout_s=request.timeout_s,
        )  # fmt: skip
        if routed.error is not None:
            raise routed.error
        return InferResponse(
            routed.outputs, routed.model, routed.version, routed.endpoint,
            {"variant": routed.variant},
        )  # fmt: skip

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

    Shadow calls run as asyncio tasks (at most ``shadow_limit``, 64 by default); ``aclose`` (or
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
        transports: Mapping[str, AsyncTransport] | None = None,
        check: bool = True,
        shadow_limit: int = 64,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.core = RoutingCore(
            variants, sticky=sticky, shadow=shadow, rules=rules, fallback=fallback,
            circuit=circuit, seed=seed, clock=clock,
        )  # fmt: skip
        given = dict(transports or {})
        arms = [*variants, *([shadow] if shadow is not None else [])]
        wires: dict[str, AsyncTransport] = {}
        self._transports: dict[str, AsyncTransport] = {
            v.name: given.get(v.name)
            or build_async_transport(v.endpoints, protocol, timeout_s, retries, wires)
            for v in arms
        }
        self.check = check
        self._signatures: dict[str, Signature] = {}
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
        started = perf_counter_ns()
        core = self.core
        plan = core.plan(inputs, key, attributes)
        last: str | None = None
        error: ClientError | None = None
        for name in plan.order:
            if not core.circuits[name].allow():
                continue
            variant = core.variants[name]
            if self.check:
                check_inputs(self._signatures.get(name) or await self._signature(name), inputs)
            request = InferRequest(variant.model, inputs, variant.version, None, headers, timeout_s)
            try:
                response = await self._transports[name].handle_async(request)
            except ClientError as exc:
                core.failure(name)
                last, error = name, exc
                continue
            result = core.success(plan, name, response, started)
            if core.shadow is not None:
                self._mirror(result, inputs, headers, timeout_s)
            return result
        result = core.give_up(plan, last, error, started)
        self._mirror(result, inputs, headers, timeout_s)
        return result

    def _mirror(
        self,
        primary: RoutedResult,
        inputs: Tensors,
        headers: Mapping[str, str] | None,
        timeout_s: float | None,
    ) -> None:
        shadow = self.core.shadow
        if shadow is None or not self.core.should_shadow(primary.variant):
            return
        request = InferRequest(shadow.model, inputs, shadow.version, None, headers, timeout_s)
        transport = self._transports[shadow.name]

        async def job() -> None:
            started = time.perf_counter()
            try:
                response = await transport.handle_async(request)
            except ClientError as exc:
                self.core.shadow_outcome(primary, None, exc, started)
            else:
                self.core.shadow_outcome(primary, response, None, started)

        # scheduled, never awaited here: the primary answer does not wait for the shadow
        self.shadows.submit(job())

    async def handle_async(self, request: InferRequest) -> InferResponse:
        """The transport interface: route by ``request.key`` / ``attributes``; raise on error."""
        routed = await self.infer(
            request.inputs, key=request.key, attributes=request.attributes,
            headers=request.headers, timeout_s=request.timeout_s,
        )  # fmt: skip
        if routed.error is not None:
            raise routed.error
        return InferResponse(
            routed.outputs, routed.model, routed.version, routed.endpoint,
            {"variant": routed.variant},
        )  # fmt: skip

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s config, read through the heaviest variant's endpoints."""
        return await self._transports[self._first()].model_config_async(model, version)

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        """``model``'s metadata, read through the heaviest variant's endpoints."""
        return await self._transports[self._first()].metadata_async(model, version)

    async def aclose(self) -> None:
        """Wait for shadow tasks in flight, then close every variant's connections."""
        await self.shadows.close()
        for transport in self._transports.values():
            await transport.aclose()

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
