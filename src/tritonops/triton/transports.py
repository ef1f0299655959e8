"""Transports to ONE Triton endpoint: HTTP and gRPC, blocking and asyncio.

The bottom layer of the client SDK's transport stack (``tritonops.client.transport`` says what
every layer speaks; pools, retries and routers compose these). Wire errors become
``ClientError``s here (``failures.tritonclient_errors`` for tritonclient's HTTP clients,
``grpc_messages.rpc_error`` for gRPC), and requests are built here. HTTP goes through tritonclient's
clients, one per endpoint (per thread for gevent), with tensors always binary; gRPC sends
tritonclient's protos through its generated stub on one channel per endpoint (why:
``tritonops.triton.grpc_messages``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any, Literal

from tritonops.errors import ClientError
from tritonops.triton import connect
from tritonops.triton import grpc_messages as messages
from tritonops.triton.exchange import Answer, InferRequest, InferResponse, as_array
from tritonops.triton.failures import tritonclient_errors as translate
from tritonops.triton.requests import infer_inputs, requested_outputs


def _http_response(result: Any, request: InferRequest, endpoint: str) -> InferResponse:
    body = result.get_response()
    outputs = {o["name"]: as_array(result.as_numpy(o["name"])) for o in body.get("outputs", ())}
    return InferResponse(
        outputs, body.get("model_name", request.model), str(body.get("model_version", "")), endpoint
    )


def _outputs(flavour: Literal["http", "aio"], request: InferRequest) -> list[Any] | None:
    if request.outputs is None:
        return None  # tritonclient HTTP then asks for every output as binary_data_output
    return requested_outputs(flavour, request.outputs)


def _sent(
    default: Mapping[str, str], call: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The transport's headers with the call's own on top. A fresh dict every time:
    tritonclient's HTTP infer writes into the one it is given."""
    if not default and not call:
        return None
    return {**default, **(call or {})}


class _Endpoint:
    """What every transport here knows: the endpoint, its default timeout and its headers."""

    def __init__(
        self, url: str, *, timeout_s: float = 10.0, headers: Mapping[str, str] | None = None
    ) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})  # sent with every call, the call's own on top
        self._start()

    def _start(self) -> None:
        """The transport's own connection state (each one makes its connections its way)."""


class HttpTransport(_Endpoint):
    """Blocking HTTP to one endpoint.

    tritonclient's HTTP client runs on gevent, whose sockets belong to the OS thread that made them,
    so each thread gets its own client (reused for every call on that thread).
    """

    def _start(self) -> None:
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _client(self, timeout_s: float) -> Any:
        clients: dict[float, Any] | None = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        client = clients.get(timeout_s)
        if client is None:
            client = connect.http_client(
                self.url, connection_timeout=timeout_s, network_timeout=timeout_s
            )
            clients[timeout_s] = client
            with self._lock:
                self._all.append(client)
        return client

    def handle(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        with translate(self.url, f"inference on {request.model!r}", timeout):
            result = self._client(timeout).infer(
                request.model,
                infer_inputs("http", request.inputs),
                model_version=request.version,
                outputs=_outputs("http", request),
                headers=_sent(self.headers, request.headers),
            )
            return _http_response(result, request, self.url)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            client = self._client(self.timeout_s)
            return dict(client.get_model_config(model, version, headers=_sent(self.headers)))

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            client = self._client(self.timeout_s)
            return dict(client.get_model_metadata(model, version, headers=_sent(self.headers)))

    def close(self) -> None:
        with self._lock:
            clients, self._all = self._all, []
        for client in clients:
            client.close()


class GrpcTransport(_Endpoint):
    """Blocking gRPC to one endpoint; one channel, shared by every thread (gRPC allows it)."""

    def _start(self) -> None:
        self._channel = connect.grpc_channel(self.url)
        self._stub = messages.stub(self._channel)
        self._infer = self._stub.ModelInfer

    def handle(self, request: InferRequest) -> InferResponse:
        message = messages.infer_request(
            request.model, request.inputs, request.version, request.outputs
        )
        return InferResponse(
            *self._answer(message, request.model, request.headers, request.timeout_s)
        )

    def send(
        self,
        model: str,
        inputs: Mapping[str, Any],
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``handle`` without the request and response objects (every output comes back).

        The Router's per-variant fast call: ``(outputs, model, version, endpoint)``.
        """
        return self._answer(
            messages.infer_request(model, inputs, version), model, headers, timeout_s
        )

    def _answer(
        self,
        message: Any,
        model: str,
        headers: Mapping[str, str] | None,
        timeout_s: float | None,
    ) -> Answer:
        timeout = timeout_s or self.timeout_s
        try:
            metadata = messages.metadata(_sent(self.headers, headers))
            response = self._infer(message, timeout=timeout, metadata=metadata)
        except messages.RpcError as exc:
            raise messages.rpc_error(exc, self.url, f"inference on {model!r}", timeout) from exc
        return messages.answer(response, model, self.url)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        with messages.rpc_errors(self.url, f"reading the config of {model!r}", self.timeout_s):
            response = self._stub.ModelConfig(
                messages.config_request(model, version),
                timeout=self.timeout_s,
                metadata=messages.metadata(self.headers),
            )
        return messages.as_json(response.config)

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        with messages.rpc_errors(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            response = self._stub.ModelMetadata(
                messages.metadata_request(model, version),
                timeout=self.timeout_s,
                metadata=messages.metadata(self.headers),
            )
        return messages.as_json(response)

    def close(self) -> None:
        self._channel.close()


class AsyncHttpTransport(_Endpoint):
    """asyncio HTTP (aiohttp) to one endpoint; the session is made on first use, in its loop."""

    def _start(self) -> None:
        self._client: Any = None

    def _conn(self) -> Any:
        if self._client is None:
            self._client = connect.aio_http_client(self.url, conn_timeout=self.timeout_s)
        return self._client

    async def handle_async(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        with translate(self.url, f"inference on {request.model!r}", timeout):
            call = self._conn().infer(
                request.model,
                infer_inputs("aio", request.inputs),
                model_version=request.version,
                outputs=_outputs("aio", request),
                headers=_sent(self.headers, request.headers),
            )
            # aiohttp's timeout is per session; this bounds the one call
            result = await asyncio.wait_for(call, timeout)
            return _http_response(result, request, self.url)

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            call = self._conn().get_model_config(model, version, headers=_sent(self.headers))
            return dict(await call)

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            call = self._conn().get_model_metadata(model, version, headers=_sent(self.headers))
            return dict(await call)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


class AsyncGrpcTransport(_Endpoint):
    """asyncio gRPC to one endpoint; the channel is made on first use, in its loop."""

    def _start(self) -> None:
        self._channel: Any = None
        self._stub: Any = None

    def _conn(self) -> Any:
        if self._stub is None:
            self._channel = connect.grpc_aio_channel(self.url)
            self._stub = messages.stub(self._channel)
        return self._stub

    async def handle_async(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        message = messages.infer_request(
            request.model, request.inputs, request.version, request.outputs
        )
        try:
            response = await self._conn().ModelInfer(
                message,
                timeout=timeout,
                metadata=messages.metadata(_sent(self.headers, request.headers)),
            )
        except messages.RpcError as exc:
            what = f"inference on {request.model!r}"
            raise messages.rpc_error(exc, self.url, what, timeout) from exc
        return InferResponse(*messages.answer(response, request.model, self.url))

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        with messages.rpc_errors(self.url, f"reading the config of {model!r}", self.timeout_s):
            response = await self._conn().ModelConfig(
                messages.config_request(model, version),
                timeout=self.timeout_s,
                metadata=messages.metadata(self.headers),
            )
        return messages.as_json(response.config)

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        with messages.rpc_errors(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            response = await self._conn().ModelMetadata(
                messages.metadata_request(model, version),
                timeout=self.timeout_s,
                metadata=messages.metadata(self.headers),
            )
        return messages.as_json(response)

    async def aclose(self) -> None:
        channel, self._channel, self._stub = self._channel, None, None
        if channel is not None:
            await channel.close()


def wire_transport(
    url: str, protocol: str, timeout_s: float, headers: Mapping[str, str] | None = None
) -> HttpTransport | GrpcTransport:
    if protocol == "grpc":
        return GrpcTransport(url, timeout_s=timeout_s, headers=headers)
    if protocol == "http":
        return HttpTransport(url, timeout_s=timeout_s, headers=headers)
    raise ClientError(f"protocol {protocol!r} is not supported — use 'http' or 'grpc'")


def async_wire_transport(
    url: str, protocol: str, timeout_s: float, headers: Mapping[str, str] | None = None
) -> AsyncHttpTransport | AsyncGrpcTransport:
    if protocol == "grpc":
        return AsyncGrpcTransport(url, timeout_s=timeout_s, headers=headers)
    if protocol == "http":
        return AsyncHttpTransport(url, timeout_s=timeout_s, headers=headers)
    raise ClientError(f"protocol {protocol!r} is not supported — use 'http' or 'grpc'")
