"""Transports over tritonclient (HTTP and gRPC, blocking and asyncio) to ONE Triton endpoint.

This module is the one boundary where tritonclient's errors become ``ClientError``s
(:func:`translate`). Each transport keeps one tritonclient client per endpoint and reuses it; HTTP
tensors always travel binary (JSON float outputs are slow, and wrong for some models on 2.51).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import tritonclient.grpc as grpcclient
import tritonclient.grpc.aio as grpcaio
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from geventhttpclient.response import HTTPConnectionClosed  # type: ignore[import-untyped]
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

from tritonops.client.transport import InferRequest, InferResponse, as_array
from tritonops.errors import ClientError, UnavailableError

# gRPC's code for "try again", and HTTP's
_UNAVAILABLE = {"StatusCode.UNAVAILABLE", "503"}


@contextmanager
def translate(endpoint: str, what: str, timeout_s: float | None = None) -> Iterator[None]:
    """Turn tritonclient, socket and aiohttp errors into ``ClientError`` subclasses."""
    try:
        yield
    except ClientError:
        raise
    except InferenceServerException as exc:
        status = str(exc.status() or "")
        text = f"{what} at {endpoint} failed: {exc.message() or exc}"
        if status in _UNAVAILABLE:
            raise UnavailableError(text, status) from exc
        raise ClientError(text, status) from exc
    except TimeoutError as exc:  # socket.timeout and asyncio's too (checked before OSError)
        raise ClientError(
            f"{what} at {endpoint} timed out after {timeout_s}s — raise timeout_s or check the"
            " server's load",
            "TIMEOUT",
        ) from exc
    except (OSError, HTTPConnectionClosed, aiohttp.ClientConnectionError) as exc:
        raise UnavailableError(
            f"{what}: cannot reach {endpoint} ({type(exc).__name__}: {exc})"
            " — check that the server is running",
            "UNAVAILABLE",
        ) from exc


def _request_inputs(module: Any, request: InferRequest, binary: bool) -> list[Any]:
    items = []
    for name, array in request.inputs.items():
        item = module.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
        if binary:
            item.set_data_from_numpy(array, binary_data=True)
        else:
            item.set_data_from_numpy(array)
        items.append(item)
    return items


def _requested_outputs(module: Any, request: InferRequest, binary: bool) -> list[Any] | None:
    if request.outputs is None:
        return None  # tritonclient HTTP then asks for every output as binary_data_output
    if binary:
        return [module.InferRequestedOutput(n, binary_data=True) for n in request.outputs]
    return [module.InferRequestedOutput(n) for n in request.outputs]


def _http_response(result: Any, request: InferRequest, endpoint: str) -> InferResponse:
    body = result.get_response()
    outputs = {o["name"]: as_array(result.as_numpy(o["name"])) for o in body.get("outputs", ())}
    return InferResponse(
        outputs, body.get("model_name", request.model), str(body.get("model_version", "")), endpoint
    )


def _grpc_response(result: Any, request: InferRequest, endpoint: str) -> InferResponse:
    body = result.get_response()
    outputs = {o.name: as_array(result.as_numpy(o.name)) for o in body.outputs}
    return InferResponse(outputs, body.model_name or request.model, body.model_version, endpoint)


def _headers(request: InferRequest) -> dict[str, str] | None:
    # tritonclient's HTTP infer writes into the dict it is given: always hand it a fresh copy
    return dict(request.headers) if request.headers else None


class HttpTransport:
    """Blocking HTTP to one endpoint.

    tritonclient's HTTP client runs on gevent, whose sockets belong to the OS thread that made them,
    so each thread gets its own client (reused for every call on that thread).
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def _client(self, timeout_s: float) -> Any:
        clients: dict[float, Any] | None = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        client = clients.get(timeout_s)
        if client is None:
            client = httpclient.InferenceServerClient(
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
                _request_inputs(httpclient, request, binary=True),
                model_version=request.version,
                outputs=_requested_outputs(httpclient, request, binary=True),
                headers=_headers(request),
            )
            return _http_response(result, request, self.url)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            return dict(self._client(self.timeout_s).get_model_config(model, version))

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            return dict(self._client(self.timeout_s).get_model_metadata(model, version))

    def close(self) -> None:
        with self._lock:
            clients, self._all = self._all, []
        for client in clients:
            client.close()


class GrpcTransport:
    """Blocking gRPC to one endpoint; one channel, shared by every thread (gRPC allows it)."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client = grpcclient.InferenceServerClient(url)

    def handle(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        with translate(self.url, f"inference on {request.model!r}", timeout):
            result = self._client.infer(
                request.model,
                _request_inputs(grpcclient, request, binary=False),
                model_version=request.version,
                outputs=_requested_outputs(grpcclient, request, binary=False),
                headers=_headers(request),
                client_timeout=timeout,
            )
            return _grpc_response(result, request, self.url)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            data = self._client.get_model_config(
                model, version, as_json=True, client_timeout=self.timeout_s
            )
            return dict(data.get("config", {}))

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            data = self._client.get_model_metadata(
                model, version, as_json=True, client_timeout=self.timeout_s
            )
            return dict(data)

    def close(self) -> None:
        self._client.close()


class AsyncHttpTransport:
    """asyncio HTTP (aiohttp) to one endpoint; the session is made on first use, in its loop."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client: Any = None

    def _conn(self) -> Any:
        if self._client is None:
            self._client = httpaio.InferenceServerClient(self.url, conn_timeout=self.timeout_s)
        return self._client

    async def handle_async(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        with translate(self.url, f"inference on {request.model!r}", timeout):
            call = self._conn().infer(
                request.model,
                _request_inputs(httpaio, request, binary=True),
                model_version=request.version,
                outputs=_requested_outputs(httpaio, request, binary=True),
                headers=_headers(request),
            )
            # aiohttp's timeout is per session; this bounds the one call
            result = await asyncio.wait_for(call, timeout)
            return _http_response(result, request, self.url)

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            return dict(await self._conn().get_model_config(model, version))

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            return dict(await self._conn().get_model_metadata(model, version))

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


class AsyncGrpcTransport:
    """asyncio gRPC to one endpoint; the channel is made on first use, in its loop."""

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client: Any = None

    def _conn(self) -> Any:
        if self._client is None:
            self._client = grpcaio.InferenceServerClient(self.url)
        return self._client

    async def handle_async(self, request: InferRequest) -> InferResponse:
        timeout = request.timeout_s or self.timeout_s
        with translate(self.url, f"inference on {request.model!r}", timeout):
            result = await self._conn().infer(
                request.model,
                _request_inputs(grpcclient, request, binary=False),
                model_version=request.version,
                outputs=_requested_outputs(grpcclient, request, binary=False),
                headers=_headers(request),
                client_timeout=timeout,
            )
            return _grpc_response(result, request, self.url)

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the config of {model!r}", self.timeout_s):
            data = await self._conn().get_model_config(
                model, version, as_json=True, client_timeout=self.timeout_s
            )
            return dict(data.get("config", {}))

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        with translate(self.url, f"reading the metadata of {model!r}", self.timeout_s):
            data = await self._conn().get_model_metadata(
                model, version, as_json=True, client_timeout=self.timeout_s
            )
            return dict(data)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


def wire_transport(url: str, protocol: str, timeout_s: float) -> HttpTransport | GrpcTransport:
    if protocol == "grpc":
        return GrpcTransport(url, timeout_s=timeout_s)
    if protocol == "http":
        return HttpTransport(url, timeout_s=timeout_s)
    raise ClientError(f"protocol {protocol!r} is not supported — use 'http' or 'grpc'")


def async_wire_transport(
    url: str, protocol: str, timeout_s: float
) -> AsyncHttpTransport | AsyncGrpcTransport:
    if protocol == "grpc":
        return AsyncGrpcTransport(url, timeout_s=timeout_s)
    if protocol == "http":
        return AsyncHttpTransport(url, timeout_s=timeout_s)
    raise ClientError(f"protocol {protocol!r} is not supported — use 'http' or 'grpc'")
