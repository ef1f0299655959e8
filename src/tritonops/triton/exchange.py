"""What one inference carries across the boundary: the request, the response, the fast answer,
and what a load generator's send reports.

Value types only, with no behaviour: the transports in ``tritonops.triton.transports`` take and
give these, the client SDK's composing layers (pool, retry, router) pass them through, and the
load generator (``tritonops.perf.loadgen``) drives the senders of ``tritonops.triton.endpoint``
with them. They live here, below all of those, so that the boundary never imports what is built
on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

Tensors: TypeAlias = Mapping[str, NDArray[Any]]
Attributes: TypeAlias = Mapping[str, Any]
Headers: TypeAlias = "Mapping[str, str] | None"
# what a transport's fast call returns: (outputs by name, model, version, endpoint), which are
# ``InferResponse``'s fields without the object
Answer: TypeAlias = tuple[dict[str, NDArray[Any]], str, str, str]


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


def as_array(value: Any) -> NDArray[Any]:
    """Outputs always leave a transport as numpy arrays."""
    return value if isinstance(value, np.ndarray) else np.asarray(value)


@dataclass(frozen=True)
class SendOutcome:
    """What one request returned: success, an error message, and anything the caller wants kept."""

    ok: bool
    error: str = ""
    payload: object = None


# ``issue(index, done)``: start request ``index`` and call ``done`` with its outcome when it ends
IssueFn: TypeAlias = Callable[[int, Callable[[SendOutcome], None]], None]
