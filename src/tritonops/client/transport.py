"""What every transport speaks: one request in, one response out (sync or asyncio).

Transports compose the way httpx's do: a wire transport talks to one Triton endpoint, a pool spreads
requests over endpoints, a retry layer repeats UNAVAILABLE calls, and the Router is a transport made
of per-variant transports. ``MockTransport`` answers in-process for tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Tensors: TypeAlias = Mapping[str, NDArray[Any]]
Attributes: TypeAlias = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class InferRequest:
    """One inference: the model, its input tensors by name, and how to send it.

    ``key`` and ``attributes`` are read by routing transports only (stickiness, rules).
    """

    model: str
    inputs: Tensors
    version: str = ""
    outputs: tuple[str, ...] | None = None
    headers: Mapping[str, str] | None = None
    timeout_s: float | None = None
    key: str | None = None
    attributes: Attributes | None = None


@dataclass(frozen=True, slots=True)
class InferResponse:
    """Output tensors by name, and which model version and endpoint answered."""

    outputs: dict[str, NDArray[Any]]
    model: str
    version: str = ""
    endpoint: str = ""
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Transport(Protocol):
    """A blocking transport: what ``Client`` and ``Router`` send through.

    Implement these four methods to put anything under a client (a proxy, a recorder, a fake);
    failures must be raised as ``ClientError`` (``UnavailableError`` when the request never
    reached a model, so that retry layers may repeat it).
    """

    def handle(self, request: InferRequest) -> InferResponse:
        """Send one inference and return its outputs."""
        ...

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's config in Triton's JSON form (as ``/v2/models/<m>/config`` returns it)."""
        ...

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata: name, versions, platform, inputs and outputs."""
        ...

    def close(self) -> None:
        """Release connections; closing twice is harmless."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio transport: ``Transport``'s four methods as coroutines."""

    async def handle_async(self, request: InferRequest) -> InferResponse:
        """Send one inference and return its outputs."""
        ...

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's config in Triton's JSON form."""
        ...

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        """The model's metadata: name, versions, platform, inputs and outputs."""
        ...

    async def aclose(self) -> None:
        """Release connections; closing twice is harmless."""
        ...


def as_array(value: Any) -> NDArray[Any]:
    """Outputs always leave a transport as numpy arrays."""
    return value if isinstance(value, np.ndarray) else np.asarray(value)
