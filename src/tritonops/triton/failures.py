"""Foreign errors from tritonclient's clients, translated by status code (never by message text).

tritonclient raises ``InferenceServerException`` for both protocols; ``status()`` is the HTTP
status as a string (``'404'``) or gRPC's code as ``'StatusCode.NOT_FOUND'``. Sockets fail with
``OSError`` (geventhttpclient), ``HTTPConnectionClosed`` or aiohttp's connection errors. The raw
gRPC stub's ``grpc.RpcError`` is translated by ``grpc_messages.rpc_error``; plain HTTP by
``rest.http_errors``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from geventhttpclient.response import HTTPConnectionClosed  # type: ignore[import-untyped]
from tritonclient.utils import InferenceServerException

from tritonops.errors import ClientError, TritonOpsError, UnavailableError
from tritonops.redact import scrub

# tritonclient's one exception type (both protocols): hot loops that record a failed request
# rather than raise catch this, and read ``.message()`` / ``.status()``
TritonclientError = InferenceServerException

# what :func:`translated` turns into a ``ClientError`` (TimeoutError is an OSError)
FOREIGN = (InferenceServerException, OSError, HTTPConnectionClosed, aiohttp.ClientConnectionError)

# "try again": the request never reached a model (gRPC UNAVAILABLE, HTTP 503), so retrying it
# cannot run an inference twice
_RETRYABLE = frozenset({"StatusCode.UNAVAILABLE", "503"})
_GRPC_UNREACHABLE = frozenset({"StatusCode.UNAVAILABLE", "StatusCode.DEADLINE_EXCEEDED"})
_NOT_FOUND = frozenset({"404", "StatusCode.NOT_FOUND"})


class CallFailure(StrEnum):
    """Why a call to the server failed, read from the status code (never from message text).

    Measured on tritonserver 2.51: an unknown model, and one with no available version
    (unloaded, or its load failed), is 404 / NOT_FOUND for metadata and config alike; a model
    whose ``initialize`` raised fails its load with 400 / INVALID_ARGUMENT and a message
    "version N is at UNAVAILABLE state: <the model's error>" (so the word UNAVAILABLE in a
    message does not mean the server is unreachable).
    """

    UNREACHABLE = "unreachable"  # no answer: connection refused, gRPC UNAVAILABLE, a deadline
    NOT_FOUND = "not-found"  # the server does not know the model
    REJECTED = "rejected"  # the server answered with an error (a failed load, a bad request)


def classify(status: str | None) -> CallFailure:
    """The kind of failure a tritonclient status code stands for."""
    if status in _GRPC_UNREACHABLE:
        return CallFailure.UNREACHABLE
    if status in _NOT_FOUND:
        return CallFailure.NOT_FOUND
    return CallFailure.REJECTED


@dataclass(frozen=True)
class Foreign:
    """What a foreign failure says, read once: every translation below starts from this."""

    answered: bool  # the server answered with an error (else: refused, reset, timed out)
    status: str | None  # the server's status code, as tritonclient spells it
    reason: str  # the server's words, or the socket error's type and text
    timed_out: bool = False


def read(exc: BaseException) -> Foreign:
    """The status and reason of a tritonclient, socket or aiohttp error (one of ``FOREIGN``)."""
    if isinstance(exc, InferenceServerException):
        status = exc.status()
        return Foreign(True, str(status) if status else None, str(exc.message() or exc).strip())
    # socket.timeout and asyncio's are TimeoutError too
    return Foreign(False, None, f"{type(exc).__name__}: {exc}", isinstance(exc, TimeoutError))


def translated(
    exc: BaseException, endpoint: str, what: str, timeout_s: float | None = None
) -> ClientError:
    """The ``ClientError`` for a tritonclient, socket or aiohttp error (one of ``FOREIGN``)."""
    failure = read(exc)
    if failure.answered:
        status = failure.status or ""
        text = f"{what} at {endpoint} failed: {failure.reason}"
        if status in _RETRYABLE:
            return UnavailableError(text, status)
        return ClientError(text, status)
    if failure.timed_out:
        return ClientError(
            f"{what} at {endpoint} timed out after {timeout_s}s — raise timeout_s or check the"
            " server's load",
            "TIMEOUT",
        )
    return UnavailableError(
        f"{what}: cannot reach {endpoint} ({failure.reason}) — check that the server is running",
        "UNAVAILABLE",
    )


@contextmanager
def tritonclient_errors(endpoint: str, what: str, timeout_s: float | None = None) -> Iterator[None]:
    """Turn tritonclient, socket and aiohttp errors into ``ClientError`` subclasses.

    ``ClientError.status`` keeps the status code, so callers branch on it (``classify``), not on
    the message. For calls off the hot path; hot loops catch ``FOREIGN`` and call
    :func:`translated` themselves (no generator per request, no message built on success).
    """
    try:
        yield
    except ClientError:
        raise
    except FOREIGN as exc:
        raise translated(exc, endpoint, what, timeout_s) from exc


@contextmanager
def reraised(
    error: type[TritonOpsError], what: str = "", *, secrets: Iterable[str] = ()
) -> Iterator[None]:
    """tritonclient and socket failures as ``error("<what>: <the server's own words>")``.

    For callers that report the failure rather than branch on it (smoke checks, perf runs,
    streams); the server's message is kept, its status code prefixes nothing. ``TritonOpsError``
    passes through untouched. ``secrets`` (header values sent with the call) are masked.
    """
    try:
        yield
    except TritonOpsError:
        raise
    except FOREIGN as exc:
        failure = read(exc)
        text = failure.reason
        if not failure.answered:
            text = f"no answer ({text}) — check that the server is running"
        raise error(scrub(f"{what}: {text}" if what else text, secrets)) from exc
