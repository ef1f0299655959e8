"""What every transport speaks: one request in, one response out (sync or asyncio).

Transports compose the way httpx's do: a wire transport talks to one Triton endpoint, a pool spreads
requests over endpoints, a retry layer repeats UNAVAILABLE calls, and the Router is a transport made
of per-variant transports. ``MockTransport`` answers in-process for tests.

Besides ``handle``, the protocol has a fast call, ``send`` (``send_async``): the same inference
without the request and response objects, every output returned. Composing layers (pool, retry,
router) and the gRPC wire implement it, so a Router's per-variant call runs straight down the stack
with nothing allocated per layer. It is optional, the way ``__length_hint__`` is for sized
iterables: ``sender`` (``async_sender``) gives a transport's own ``send`` or, for one that has only
the four required methods, ``handle`` wrapped to the same shape. Callers never look at a transport's
type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeAlias, runtime_checkable

from tritonops.triton.exchange import (
    Answer,
    Attributes,
    Headers,
    InferRequest,
    InferResponse,
    Tensors,
    as_array,
)

__all__ = [
    "Answer",
    "AsyncSend",
    "AsyncSendTransport",
    "AsyncTransport",
    "Attributes",
    "Headers",
    "InferRequest",
    "InferResponse",
    "Send",
    "SendTransport",
    "Tensors",
    "Transport",
    "as_array",
    "async_sender",
    "sender",
]

# ``send``'s shape: (model, inputs, version, headers, timeout_s) -> Answer
Send: TypeAlias = Callable[[str, Tensors, str, Headers, "float | None"], Answer]
AsyncSend: TypeAlias = Callable[[str, Tensors, str, Headers, "float | None"], Awaitable[Answer]]


@runtime_checkable
class Transport(Protocol):
    """A blocking transport: what ``Client`` and ``Router`` send through.

    Implement these four methods to put anything under a client (a proxy, a recorder, a fake);
    failures must be raised as ``ClientError`` (``UnavailableError`` when the request never
    reached a model, so that retry layers may repeat it).
    """

    def handle(self, request: InferRequest) -> InferResponse:
        """Send one inference and return its outputs."""

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's config in Triton's JSON form (as ``/v2/models/<m>/config`` returns it)."""

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata: name, versions, platform, inputs and outputs."""

    def close(self) -> None:
        """Release connections; closing twice is harmless."""


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio transport: ``Transport``'s four methods as coroutines."""

    async def handle_async(self, request: InferRequest) -> InferResponse:
        """Send one inference and return its outputs."""

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's config in Triton's JSON form."""

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata: name, versions, platform, inputs and outputs."""

    async def aclose(self) -> None:
        """Release connections; closing twice is harmless."""


@runtime_checkable
class SendTransport(Transport, Protocol):
    """A ``Transport`` with the fast call (pools, retry layers, routers, the gRPC wire)."""

    def send(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``handle`` without the request and response objects: every output comes back."""


@runtime_checkable
class AsyncSendTransport(AsyncTransport, Protocol):
    """An ``AsyncTransport`` with the fast call (pools, retry layers, routers)."""

    async def send_async(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``handle_async`` without the request and response objects."""


def sender(transport: Transport) -> Send:
    """``transport``'s fast call: its own ``send``, else its ``handle`` in ``send``'s shape.

    Looked up once (composing layers bind their inner transport's call when built), so the
    per-request path makes no lookup at all.
    """
    own: Send | None = getattr(transport, "send", None)
    if own is not None:
        return own
    handle = transport.handle

    def send(
        model: str, inputs: Tensors, version: str, headers: Headers, timeout_s: float | None
    ) -> Answer:
        response = handle(InferRequest(model, inputs, version, None, headers, timeout_s))
        return response.outputs, response.model, response.version, response.endpoint

    return send


def async_sender(transport: AsyncTransport) -> AsyncSend:
    """``transport``'s asyncio fast call: its own ``send_async``, else ``handle_async`` wrapped."""
    own: AsyncSend | None = getattr(transport, "send_async", None)
    if own is not None:
        return own
    handle = transport.handle_async

    async def send_async(
        model: str, inputs: Tensors, version: str, headers: Headers, timeout_s: float | None
    ) -> Answer:
        response = await handle(InferRequest(model, inputs, version, None, headers, timeout_s))
        return response.outputs, response.model, response.version, response.endpoint

    return send_async
