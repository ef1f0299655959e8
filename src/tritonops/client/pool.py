"""Several endpoints behind one transport: round-robin spread, failover on UNAVAILABLE.

Each request starts at the next endpoint in turn (so traffic spreads over servers) and moves on to
the following one only when an endpoint cannot be reached; any other error is the model's answer
and is returned as is.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from tritonops.client.transport import (
    Answer,
    AsyncSend,
    AsyncTransport,
    InferRequest,
    InferResponse,
    Send,
    Tensors,
    Transport,
    async_sender,
    sender,
)
from tritonops.errors import ClientError, UnavailableError

T = TypeVar("T")


def _order(count: int, start: int) -> list[int]:
    return [(start + i) % count for i in range(count)]


def _failover(order: Iterable[int], call: Callable[[int], T]) -> T:
    """``call(index)`` for each endpoint index in ``order`` until one is reached; only
    ``UnavailableError`` moves on, and when every endpoint was unreachable the last one's
    error is raised."""
    last: UnavailableError | None = None
    for index in order:
        try:
            return call(index)
        except UnavailableError as exc:
            last = exc
    assert last is not None  # a pool holds at least one endpoint
    raise last


async def _failover_async(order: Iterable[int], call: Callable[[int], Awaitable[T]]) -> T:
    """``_failover`` for asyncio calls."""
    last: UnavailableError | None = None
    for index in order:
        try:
            return await call(index)
        except UnavailableError as exc:
            last = exc
    assert last is not None
    raise last


class EndpointPool:
    """Blocking transports, one per endpoint, used in turn."""

    def __init__(self, transports: Sequence[Transport]) -> None:
        if not transports:
            raise ClientError("an endpoint pool needs at least one endpoint")
        self.transports = list(transports)
        self._sends = [sender(t) for t in self.transports]
        # a pool of one endpoint adds no frame to the fast call: it is that endpoint's own
        self._send: Send = self._sends[0] if len(self._sends) == 1 else self._spread
        # next() on itertools.count is atomic under the GIL: no lock on the hot path
        self._turn = itertools.count()

    @property
    def send(self) -> Send:
        """The transport protocol's fast call: ``handle``'s spread and failover, no objects."""
        return self._send

    def _spread(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        sends = self._sends
        return _failover(
            _order(len(sends), next(self._turn)),
            lambda i: sends[i](model, inputs, version, headers, timeout_s),
        )

    def handle(self, request: InferRequest) -> InferResponse:
        transports = self.transports
        if len(transports) == 1:
            return transports[0].handle(request)
        order = _order(len(transports), next(self._turn))
        return _failover(order, lambda i: transports[i].handle(request))

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        transports = self.transports  # reads fail over in the given order, no spreading
        return _failover(
            range(len(transports)), lambda i: transports[i].model_config(model, version)
        )

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        transports = self.transports
        return _failover(range(len(transports)), lambda i: transports[i].metadata(model, version))

    def close(self) -> None:
        for transport in self.transports:
            transport.close()


class AsyncEndpointPool:
    """asyncio transports, one per endpoint, used in turn."""

    def __init__(self, transports: Sequence[AsyncTransport]) -> None:
        if not transports:
            raise ClientError("an endpoint pool needs at least one endpoint")
        self.transports = list(transports)
        self._sends = [async_sender(t) for t in self.transports]
        self._send: AsyncSend = self._sends[0] if len(self._sends) == 1 else self._spread
        self._turn = itertools.count()

    @property
    def send_async(self) -> AsyncSend:
        """The transport protocol's fast call: ``handle_async``'s spread and failover."""
        return self._send

    async def _spread(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        sends = self._sends
        return await _failover_async(
            _order(len(sends), next(self._turn)),
            lambda i: sends[i](model, inputs, version, headers, timeout_s),
        )

    async def handle_async(self, request: InferRequest) -> InferResponse:
        transports = self.transports
        if len(transports) == 1:
            return await transports[0].handle_async(request)
        order = _order(len(transports), next(self._turn))
        return await _failover_async(order, lambda i: transports[i].handle_async(request))

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        transports = self.transports
        return await _failover_async(
            range(len(transports)), lambda i: transports[i].model_config_async(model, version)
        )

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        transports = self.transports
        return await _failover_async(
            range(len(transports)), lambda i: transports[i].metadata_async(model, version)
        )

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()
