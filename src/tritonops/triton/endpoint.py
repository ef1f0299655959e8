"""One server as the load generator sees it: its address and protocol, the senders and issuers
that fire pre-built requests at it, its served configs, and loads with a config override.

``perf`` and the tuner measure through these (``tritonops.perf.loadgen`` decides when to call a
sender; the sender is the only part that speaks to Triton). Failures come back as
``SendOutcome``s with the header values masked, or as ``PerfError`` for config reads and loads."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from numpy.typing import NDArray

from tritonops.errors import PerfError
from tritonops.headers import grpc_metadata
from tritonops.model_config import ModelConfig, to_dict
from tritonops.redact import scrub
from tritonops.triton import connect
from tritonops.triton import grpc_messages as messages
from tritonops.triton.exchange import IssueFn, SendOutcome
from tritonops.triton.failures import TritonclientError, reraised
from tritonops.triton.requests import infer_inputs, requested_outputs
from tritonops.triton.served import served_config

Sender = tuple[Callable[[int], Awaitable[SendOutcome]], Callable[[], Awaitable[None]]]
Issuer = tuple[IssueFn, Callable[[], None]]


@dataclass(frozen=True)
class Endpoint:
    protocol: Literal["grpc", "http"]
    address: str  # host:port
    # sent on every call (inference, config reads, loads); never shown in a message or a result
    headers: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def secrets(self) -> list[str]:
        """The header values, to mask in any text that leaves perf."""
        return list(self.headers.values())

    def call_headers(self) -> dict[str, str] | None:
        """A fresh dict per call (tritonclient's HTTP client writes into the one it gets); gRPC
        metadata keys lower-cased (``tritonops.headers``)."""
        if not self.headers:
            return None
        return grpc_metadata(self.headers) if self.protocol == "grpc" else dict(self.headers)

    def sync_client(self) -> Any:
        if self.protocol == "grpc":
            return connect.grpc_client(self.address)
        return connect.http_client(self.address, network_timeout=300.0)

    def sender(
        self, model: str, config: ModelConfig, tensors: Mapping[str, NDArray[Any]]
    ) -> Sender:
        """An async ``send(index)`` reusing one connection and prebuilt inputs, and its closer."""
        if self.protocol == "grpc":
            return _grpc_sender(self, model, config, tensors)
        return _http_sender(self, model, config, tensors)

    def issuer(
        self,
        model: str,
        config: ModelConfig,
        tensors: Mapping[str, NDArray[Any]],
        concurrency: int = 2,
    ) -> Issuer | None:
        """A callback ``issue(index, done)`` for the closed loop (gRPC only), and its closer."""
        if self.protocol != "grpc":
            return None
        return _grpc_issuer(self, model, config, tensors, blocking=concurrency == 1)


def _infer_payload(model: str, config: ModelConfig, tensors: Mapping[str, NDArray[Any]]) -> bytes:
    # The request is serialized once and sent as bytes, the response left as bytes: Python's
    # per-request cost is what would otherwise make this engine slower than perf_analyzer.
    request = messages.infer_request(
        model,
        tensors,
        outputs=[o.name for o in config.output],
        datatypes={t.name: t.data_type.api_name for t in config.input},
    )
    return bytes(request.SerializeToString())


def _failed(endpoint: Endpoint, text: str) -> SendOutcome:
    # a failure's text lands in results and messages: a header value never does
    return SendOutcome(ok=False, error=scrub(text, endpoint.secrets) if endpoint.headers else text)


def _metadata(endpoint: Endpoint) -> tuple[tuple[str, str], ...] | None:
    return messages.metadata(endpoint.headers)


def _grpc_sender(
    endpoint: Endpoint, model: str, config: ModelConfig, tensors: Mapping[str, NDArray[Any]]
) -> Sender:
    payload = _infer_payload(model, config, tensors)
    channel = connect.grpc_aio_channel(endpoint.address)
    infer = messages.raw_model_infer(channel)
    metadata = _metadata(endpoint)

    async def send(_index: int) -> SendOutcome:
        try:
            await infer(payload, metadata=metadata)
        except messages.RpcError as exc:
            return _failed(endpoint, messages.failure_text(exc))
        return SendOutcome(ok=True)

    async def close() -> None:
        await channel.close()

    return send, close


def _grpc_issuer(
    endpoint: Endpoint,
    model: str,
    config: ModelConfig,
    tensors: Mapping[str, NDArray[Any]],
    *,
    blocking: bool = False,
) -> Issuer:
    # One sync channel, a pre-serialized request, ``future()`` with a completion callback: no
    # event loop and no waiting thread of ours per request. Measured side by side here against
    # grpc.aio, blocking calls in C threads and tritonclient's async_infer, it cost the least
    # (or tied) at concurrency 1, 4 and 8.
    payload = _infer_payload(model, config, tensors)
    channel = connect.grpc_channel(endpoint.address)
    infer = messages.raw_model_infer(channel)
    metadata = _metadata(endpoint)

    def issue(_index: int, done: Callable[[SendOutcome], None]) -> None:
        def finished(future: Any) -> None:
            error = future.exception()
            if error is None:
                done(SendOutcome(ok=True))
            else:
                done(_failed(endpoint, messages.failure_text(error)))

        infer.future(payload, metadata=metadata).add_done_callback(finished)

    def issue_blocking(_index: int, done: Callable[[SendOutcome], None]) -> None:
        try:
            infer(payload, metadata=metadata)
        except messages.RpcError as error:
            done(_failed(endpoint, messages.failure_text(error)))
        else:
            done(SendOutcome(ok=True))

    # One request in flight: a blocking call polls its own completion queue on this thread, with
    # no hand-off to gRPC's polling thread and back; measured ~7 % more requests/s at c=1 here.
    return (issue_blocking if blocking else issue), channel.close


def _http_sender(
    endpoint: Endpoint, model: str, config: ModelConfig, tensors: Mapping[str, NDArray[Any]]
) -> Sender:
    client = connect.aio_http_client(endpoint.address)
    types = {t.name: t.data_type.api_name for t in config.input}
    inputs = infer_inputs("aio", tensors, types)
    outputs = requested_outputs("aio", [o.name for o in config.output])

    async def send(_index: int) -> SendOutcome:
        try:
            await client.infer(model, inputs, outputs=outputs, headers=endpoint.call_headers())
        except TritonclientError as exc:
            return _failed(endpoint, str(exc.message() or exc))
        return SendOutcome(ok=True)

    async def close() -> None:
        await client.close()

    return send, close


def parse_url(url: str, headers: Mapping[str, str] | None = None) -> Endpoint:
    """``host:port`` is gRPC; ``http://host:port`` is HTTP (``grpc://`` is accepted too).
    ``headers`` go with every call made through the endpoint."""
    sent = dict(headers or {})
    if url.startswith("http://"):
        return Endpoint("http", url.removeprefix("http://").rstrip("/"), sent)
    if url.startswith("https://"):
        raise PerfError(
            "https endpoints are not supported by the perf engines; use http:// or gRPC"
        )
    return Endpoint("grpc", url.removeprefix("grpc://"), sent)


def fetch_config(endpoint: Endpoint, model: str) -> ModelConfig:
    """The config the server actually loaded (auto-completed fields included)."""
    return served_config(
        endpoint.address,
        model,
        protocol=endpoint.protocol,
        error=PerfError,
        timeout_s=300.0,
        headers=endpoint.headers,
    )


def load_with_config(endpoint: Endpoint, config: ModelConfig) -> None:
    """(Re)load ``config.name`` with ``config`` as an override of its config.pbtxt."""
    client = endpoint.sync_client()
    try:
        what = f"loading {config.name!r} with a candidate config failed"
        with reraised(PerfError, what, secrets=endpoint.secrets):
            client.load_model(
                config.name, config=json.dumps(to_dict(config)), headers=endpoint.call_headers()
            )
    finally:
        client.close()
