"""Several endpoints behind one transport: round-robin spread, failover on UNAVAILABLE.

Each request starts at the next endpoint in turn (so traffic spreads over servers) and moves on to
the following one only when an endpoint cannot be reached; any other error is the model's answer
and is returned as is.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

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


def _order(count: int, start: int) -> list[int]:
    return [(start + i) % count for i in range(count)]


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
        last: UnavailableError | None = None
        for index in _order(len(sends), next(self._turn)):
            try:
                return sends[index](model, inputs, version, headers, timeout_s)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    def handle(self, request: InferRequest) -> InferResponse:
        transports = self.transports
        if len(transports) == 1:
            return transports[0].handle(request)
        last: UnavailableError | None = None
        for index in _order(len(transports), next(self._turn)):
            try:
                return transports[index].handle(request)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        return _first_answer([lambda t=t: t.model_config(model, version) for t in self.transports])

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        return _first_answer([lambda t=t: t.metadata(model, version) for t in self.transports])

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
        last: UnavailableError | None = None
        for index in _order(len(sends), next(self._turn)):
            try:
                return await sends[index](model, inputs, version, headers, timeout_s)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    async def handle_async(self, request: InferRequest) -> InferResponse:
        transports = self.transports
        if len(transports) == 1:
            return await transports[0].handle_async(request)
        last: UnavailableError | None = None
        for index in _order(len(transports), next(self._turn)):
            try:
                return await transports[index].handle_async(request)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        last: UnavailableError | None = None
        for transport in self.transports:
            try:
                return await transport.model_config_async(model, version)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        last: UnavailableError | None = None
        for transport in self.transports:
            try:
                return await transport.metadata_async(model, version)
            except UnavailableError as exc:
                last = exc
        assert last is not None
        raise last

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()


def _first_answer(calls: Sequence[Any]) -> dict[str, Any]:
    last: UnavailableError | None = None
    for call in calls:
        try:
            return dict(call())
        except UnavailableError as exc:
            last = exc
    assert last is not None
    raise last
