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
    """A blocking transport."""

    def handle(self, request: InferRequest) -> InferResponse: ...

    def model_config(self, model: str, version: str = "") -> dict[str, Any]: ...

    def metadata(self, model: str, version: str = "") -> dict[str, Any]: ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio transport."""

    async def handle_async(self, request: InferRequest) -> InferResponse: ...

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]: ...

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def as_array(value: Any) -> NDArray[Any]:
    """Outputs always leave a transport as numpy arrays."""
    return value if isinstance(value, np.ndarray) else np.asarray(value)
