"""``Client`` and ``AsyncClient``: typed inference, numpy in and out by tensor name.

A client is a thin front over a transport stack — wire transports (one per endpoint, each reusing
its connection), an endpoint pool, a retry layer — and checks inputs against the model's config
before sending. Model configs and metadata are read once and cached.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from numpy.typing import NDArray

from tritonops.client.input_checks import Signature, check_inputs
from tritonops.client.pool import AsyncEndpointPool, EndpointPool
from tritonops.client.retry import AsyncRetryTransport, RetryPolicy, RetryTransport
from tritonops.client.transport import (
    AsyncTransport,
    InferRequest,
    InferResponse,
    Tensors,
    Transport,
)
from tritonops.triton.transports import async_wire_transport, wire_transport


@dataclass(frozen=True, slots=True)
class InferResult:
    """What ``infer`` returns: output tensors by name, and who answered how fast.

    ``result["scores"]`` is ``result.outputs["scores"]`` (a numpy array; BYTES outputs are object
    arrays of ``bytes``). ``latency_ms`` is the round trip seen by the client; ``model``,
    ``version`` and ``endpoint`` name the model version and the server that answered.
    """

    outputs: dict[str, NDArray[Any]]
    latency_ms: float
    model: str
    version: str
    endpoint: str = ""

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.outputs[name]


W = TypeVar("W")


def _urls(url: str | Sequence[str]) -> list[str]:
    return [url] if isinstance(url, str) else list(url)


def build_transport(
    url: str | Sequence[str],
    protocol: str,
    timeout_s: float,
    retries: int,
    wires: dict[str, Transport] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Transport:
    """The blocking stack for one or more endpoints: wire → pool → retry.

    ``wires`` shares wire transports by URL between stacks (a Router's variants on one server
    use one connection); closing a wire twice is harmless. ``headers`` go with every call the
    wires make (inference, config, metadata)."""
    make = functools.partial(wire_transport, headers=headers)
    pool = EndpointPool([_wire(wires, u, protocol, timeout_s, make) for u in _urls(url)])
    return RetryTransport(pool, RetryPolicy(retries)) if retries > 0 else pool


def build_async_transport(
    url: str | Sequence[str],
    protocol: str,
    timeout_s: float,
    retries: int,
    wires: dict[str, AsyncTransport] | None = None,
    headers: Mapping[str, str] | None = None,
) -> AsyncTransport:
    """The asyncio stack for one or more endpoints: wire → pool → retry (``wires``,
    ``headers``: as above)."""
    make = functools.partial(async_wire_transport, headers=headers)
    pool = AsyncEndpointPool([_wire(wires, u, protocol, timeout_s, make) for u in _urls(url)])
    return AsyncRetryTransport(pool, RetryPolicy(retries)) if retries > 0 else pool


def _wire(
    wires: dict[str, W] | None,
    url: str,
    protocol: str,
    timeout_s: float,
    make: Callable[[str, str, float], W],
) -> W:
    if wires is None:
        return make(url, protocol, timeout_s)
    found = wires.get(url)
    if found is None:
        found = wires[url] = make(url, protocol, timeout_s)
    return found


def _result(response: InferResponse, started: float) -> InferResult:
    latency_ms = (time.perf_counter() - started) * 1000.0
    return InferResult(
        response.outputs, latency_ms, response.model, response.version, response.endpoint
    )


class _Cached:
    """What both clients keep: the input check switch and per-(model, version) caches."""

    def __init__(self, check: bool) -> None:
        self.check = check
        self._configs: dict[tuple[str, str], dict[str, Any]] = {}
        self._metadata: dict[tuple[str, str], dict[str, Any]] = {}
        self._signatures: dict[tuple[str, str], Signature] = {}


def _request(
    model: str,
    inputs: Tensors,
    version: str,
    outputs: Sequence[str] | None,
    headers: Mapping[str, str] | None,
    timeout_s: float | None,
) -> InferRequest:
    return InferRequest(
        model, inputs, version, tuple(outputs) if outputs else None, headers, timeout_s
    )


class Client(_Cached):
    """Blocking inference against one Triton (or several endpoints serving the same models).

    ::

        with Client("localhost:8001") as client:               # gRPC by default
            result = client.infer("resnet", {"input": batch})  # numpy in, numpy out
            scores = result["scores"]

    Args:
        url: ``host:port`` of the server, or a list of them serving the same models: requests go
            round-robin and an unreachable endpoint is skipped. Ignored when ``transport`` is given.
        protocol: ``"grpc"`` (default) or ``"http"``; the port must be that protocol's.
        timeout_s: default time limit of each call, in seconds (``infer`` can override it).
        retries: extra attempts after an ``UnavailableError`` only (connection refused or reset,
            gRPC UNAVAILABLE, HTTP 503), with exponential backoff and full jitter; 0 turns them off.
        transport: a ready transport (e.g. ``MockTransport`` in tests) instead of the network.
        check: check inputs against the model's config before sending (``InputError``).

    Model configs and metadata are read once per (model, version) and cached. Close the client
    (or use ``with``) to release its connections.
    """

    def __init__(
        self,
        url: str | Sequence[str] = "",
        *,
        protocol: str = "grpc",
        timeout_s: float = 10.0,
        retries: int = 2,
        transport: Transport | None = None,
        check: bool = True,
    ) -> None:
        if transport is None:
            transport = build_transport(url, protocol, timeout_s, retries)
        elif retries > 0:
            transport = RetryTransport(transport, RetryPolicy(retries))
        self.transport: Transport = transport
        super().__init__(check)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection; the client cannot be used afterwards."""
        self.transport.close()

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        """The config the server serves (Triton's JSON form), cached."""
        key = (model, version)
        if key not in self._configs:
            self._configs[key] = self.transport.model_config(model, version)
        return self._configs[key]

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata (name, versions, platform, inputs, outputs), cached."""
        key = (model, version)
        if key not in self._metadata:
            self._metadata[key] = self.transport.metadata(model, version)
        return self._metadata[key]

    def signature(self, model: str, version: str = "") -> Signature:
        """The model's inputs (names, data types, shapes) that ``infer`` checks against, cached."""
        key = (model, version)
        found = self._signatures.get(key)
        if found is None:
            found = self._signatures[key] = Signature.from_config(
                model, self.model_config(model, version)
            )
        return found

    def infer(
        self,
        model: str,
        inputs: Tensors,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> InferResult:
        """Run one inference and return its outputs by name.

        Args:
            model: the model's name on the server.
            inputs: input name -> array (anything ``numpy.asarray`` takes; text becomes BYTES).
            version: the model version; empty: the server's choice (its newest served version).
            outputs: only these outputs are returned; None: all of them.
            headers: sent as HTTP headers or gRPC metadata (names lower-cased for gRPC).
            timeout_s: this call's time limit; None: the client's ``timeout_s``.

        Raises:
            InputError: the inputs do not fit the model's config (nothing was sent).
            UnavailableError: the server could not be reached, after the retries.
            ClientError: the server answered with an error (``status`` holds its code).
        """
        if self.check:
            check_inputs(self.signature(model, version), inputs)
        request = _request(model, inputs, version, outputs, headers, timeout_s)
        started = time.perf_counter()
        return _result(self.transport.handle(request), started)


class AsyncClient(_Cached):
    """asyncio inference, the same calls as ``Client`` as coroutines.

    ::

        async with AsyncClient("localhost:8001") as client:
            results = await asyncio.gather(*(client.infer("m", {"x": row}) for row in rows))

    Arguments are those of ``Client`` (``transport`` is an ``AsyncTransport``). Concurrent calls
    share one connection per endpoint.
    """

    def __init__(
        self,
        url: str | Sequence[str] = "",
        *,
        protocol: str = "grpc",
        timeout_s: float = 10.0,
        retries: int = 2,
        transport: AsyncTransport | None = None,
        check: bool = True,
    ) -> None:
        if transport is None:
            transport = build_async_transport(url, protocol, timeout_s, retries)
        elif retries > 0:
            transport = AsyncRetryTransport(transport, RetryPolicy(retries))
        self.transport: AsyncTransport = transport
        super().__init__(check)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every connection; the client cannot be used afterwards."""
        await self.transport.aclose()

    async def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        """The config the server serves (Triton's JSON form), cached."""
        key = (model, version)
        if key not in self._configs:
            self._configs[key] = await self.transport.model_config_async(model, version)
        return self._configs[key]

    async def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata (name, versions, platform, inputs, outputs), cached."""
        key = (model, version)
        if key not in self._metadata:
            self._metadata[key] = await self.transport.metadata_async(model, version)
        return self._metadata[key]

    async def signature(self, model: str, version: str = "") -> Signature:
        """The model's inputs that ``infer`` checks against, cached."""
        key = (model, version)
        found = self._signatures.get(key)
        if found is None:
            config = await self.model_config(model, version)
            found = self._signatures[key] = Signature.from_config(model, config)
        return found

    async def infer(
        self,
        model: str,
        inputs: Tensors,
        *,
        version: str = "",
        outputs: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> InferResult:
        """Run one inference; arguments, result and errors as ``Client.infer``."""
        if self.check:
            check_inputs(await self.signature(model, version), inputs)
        request = _request(model, inputs, version, outputs, headers, timeout_s)
        started = time.perf_counter()
        return _result(await self.transport.handle_async(request), started)
