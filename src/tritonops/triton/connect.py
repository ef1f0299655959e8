"""tritonclient client objects for one endpoint (``host:port``): the one place they are made."""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs in this environment
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio

# tritonclient's own limits: a tensor is never refused for its size on the client side
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", 2**31 - 1),
    ("grpc.max_receive_message_length", 2**31 - 1),
]

# tritonclient's HTTP defaults (InferenceServerClient's signature), kept where callers give none
_HTTP_TIMEOUT_S = 60.0


def http_client(
    address: str,
    *,
    ssl: bool = False,
    connection_timeout: float = _HTTP_TIMEOUT_S,
    network_timeout: float = _HTTP_TIMEOUT_S,
) -> Any:
    """A blocking HTTP client; gevent-based, so use it from the thread that made it."""
    return httpclient.InferenceServerClient(
        address,
        ssl=ssl,
        connection_timeout=connection_timeout,
        network_timeout=network_timeout,
    )


def aio_http_client(address: str, *, conn_timeout: float = _HTTP_TIMEOUT_S) -> Any:
    """An asyncio HTTP client (aiohttp); make it inside the loop that will use it."""
    return httpaio.InferenceServerClient(address, conn_timeout=conn_timeout)


def grpc_client(address: str, *, ssl: bool = False) -> Any:
    """A blocking gRPC client; also the one that streams (``start_stream``)."""
    return grpcclient.InferenceServerClient(address, ssl=ssl)


def grpc_channel(address: str) -> Any:
    """A blocking gRPC channel (for the message-level stub), safe to share between threads."""
    return grpc.insecure_channel(address, options=CHANNEL_OPTIONS)


def grpc_aio_channel(address: str) -> Any:
    """An asyncio gRPC channel; make it inside the loop that will use it."""
    return grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
