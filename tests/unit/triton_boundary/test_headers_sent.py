"""Headers given to a command reach every call it makes to Triton, and no message shows a value.

Fakes stand in for the wire here (unit tier); tests/integration/cli/test_headers_sent.py proves
on a real server that the headers arrive.
"""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tritonclient.utils import InferenceServerException

from tritonops.client.transport import InferRequest
from tritonops.errors import ClientError, PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.analyzer import GRPC_HEADERS, AnalyzerOptions, Range, run_analyzer
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.perf.tune_live import live_measurer
from tritonops.triton import connect, rest
from tritonops.triton.endpoint import load_with_config, parse_url
from tritonops.triton.served import served_config
from tritonops.triton.transports import (
    AsyncGrpcTransport,
    GrpcTransport,
    HttpTransport,
    wire_transport,
)

SECRET = "Bearer s3cret"
HEADERS = {"Authorization": SECRET, "X-Team": "ml"}
CONFIG = ModelConfig(name="m", max_batch_size=8)


class FakeHttpReply:
    status = 200

    def __enter__(self) -> FakeHttpReply:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return b'{"name": "m"}'


def test_rest_sends_the_headers_on_gets_and_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[urllib.request.Request] = []

    def urlopen(call: Any, timeout: float) -> FakeHttpReply:
        seen.append(call)
        return FakeHttpReply()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    rest.get_json("h:1", "/v2/models/m/config", "read", headers=HEADERS)
    rest.request("h:1", "/v2/repository/index", body={}, headers=HEADERS)
    for call in seen:
        assert call.get_header("Authorization") == SECRET
        assert call.get_header("X-team") == "ml"
    assert seen[1].get_header("Content-type") == "application/json"


class FakeGrpcClient:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def get_model_config(self, model: str, version: str = "", **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.fail:  # a server (or proxy) that echoes the token back
            raise InferenceServerException(f"denied for {SECRET}", status="StatusCode.INTERNAL")
        return {"config": {"name": model}}

    def load_model(self, model: str, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def close(self) -> None:
        return None


def test_served_config_over_grpc_sends_metadata_and_masks_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeGrpcClient()
    monkeypatch.setattr(connect, "grpc_client", lambda address, **kw: fake)
    assert served_config("h:1", "m", protocol="grpc", headers=HEADERS).name == "m"
    # gRPC metadata keys are lower case (PROTOCOL-HTTP2.md); the values are kept
    assert fake.calls[0]["headers"] == {"authorization": SECRET, "x-team": "ml"}
    fake.fail = True
    with pytest.raises(PerfError) as caught:
        served_config("h:1", "m", protocol="grpc", headers=HEADERS, error=PerfError)
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_perf_endpoint_carries_headers_to_loads_and_hides_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grpc = parse_url("h:1", HEADERS)
    http = parse_url("http://h:2", HEADERS)
    assert grpc.call_headers() == {"authorization": SECRET, "x-team": "ml"}
    first = http.call_headers()
    assert first == HEADERS
    assert first is not http.call_headers()  # tritonclient's HTTP infer writes into it
    assert "s3cret" not in repr(grpc)
    assert parse_url("h:1").call_headers() is None
    fake = FakeGrpcClient()
    monkeypatch.setattr(connect, "grpc_client", lambda address, **kw: fake)
    load_with_config(grpc, CONFIG)
    assert fake.calls[0]["headers"] == {"authorization": SECRET, "x-team": "ml"}


def test_perf_analyzer_gets_one_h_per_header_over_http_and_refuses_grpc() -> None:
    options = AnalyzerOptions(model="m", url="h:2", protocol="http", concurrency=Range(1),
                              headers=tuple(HEADERS.items()))  # fmt: skip
    argv = options.argv("perf_analyzer")
    at = [i for i, arg in enumerate(argv) if arg == "-H"]
    assert [argv[i + 1] for i in at] == [f"Authorization:{SECRET}", "X-Team:ml"]
    assert "s3cret" not in repr(options)
    grpc = AnalyzerOptions(model="m", url="h:1", concurrency=Range(1), headers=(("A", "b"),))
    with pytest.raises(PerfError, match="over HTTP only"):
        grpc.argv("perf_analyzer")


def test_perf_analyzer_over_grpc_with_headers_is_refused_before_any_call() -> None:
    spec = MeasureSpec(model="m", url="127.0.0.1:1", engine="perf_analyzer", headers=HEADERS)
    with pytest.raises(PerfError) as caught:
        measure(spec, config=CONFIG)
    assert str(caught.value) == GRPC_HEADERS
    with pytest.raises(PerfError, match="over HTTP only"):
        live_measurer("127.0.0.1:1", CONFIG, engine="perf_analyzer", headers=HEADERS)
    # auto picks the engine that can send them
    _run, used = live_measurer("127.0.0.1:1", CONFIG, engine="auto", headers=HEADERS)
    assert used == "builtin"


class FakeHttpClient:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def infer(self, model: str, inputs: Any, **kwargs: Any) -> Any:
        self.calls.append({"headers": dict(kwargs["headers"])})  # as they arrived
        kwargs["headers"]["Inference-Header-Content-Length"] = "0"  # tritonclient does this
        raise InferenceServerException("stop here", status="400")

    def get_model_config(self, model: str, version: str = "", **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return {"name": model}

    def close(self) -> None:
        return None


def test_http_transport_sends_its_headers_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeHttpClient()
    monkeypatch.setattr(connect, "http_client", lambda url, **kw: fake)
    transport = wire_transport("h:2", "http", 1.0, HEADERS)
    assert isinstance(transport, HttpTransport)
    transport.model_config("m")
    request = InferRequest("m", {"x": np.zeros(4, np.float32)}, headers={"X-Call": "1"})
    for _ in range(2):
        with pytest.raises(ClientError, match="stop here"):
            transport.handle(request)
    assert fake.calls[0]["headers"] == HEADERS
    # the call's own headers on top; a fresh dict each time (tritonclient wrote into the first)
    assert fake.calls[2]["headers"] == {**HEADERS, "X-Call": "1"}
    assert transport.headers == HEADERS


class FakeStub:
    def __init__(self) -> None:
        self.metadata: list[Any] = []

    def ModelConfig(self, request: Any, *, timeout: float, metadata: Any) -> Any:
        self.metadata.append(metadata)
        raise RuntimeError("config read")

    def ModelInfer(self, request: Any, *, timeout: float, metadata: Any) -> Any:
        self.metadata.append(metadata)
        raise RuntimeError("infer")


def test_grpc_transports_send_their_metadata_on_every_call() -> None:
    stub = FakeStub()
    transport = GrpcTransport("127.0.0.1:1", timeout_s=1.0, headers=HEADERS)
    transport._stub, transport._infer = stub, stub.ModelInfer
    for call in (
        lambda: transport.model_config("m"),
        lambda: transport.send("m", {"x": np.zeros(4, np.float32)}, headers={"X-Call": "1"}),
    ):
        with pytest.raises(RuntimeError):
            call()
    transport.close()
    expected = (("authorization", SECRET), ("x-team", "ml"))
    assert stub.metadata == [expected, (*expected, ("x-call", "1"))]

    async def config_async() -> None:
        transport = AsyncGrpcTransport("127.0.0.1:1", timeout_s=1.0, headers=HEADERS)
        transport._stub = stub
        with pytest.raises(RuntimeError):
            await transport.model_config_async("m")

    asyncio.run(config_async())
    assert stub.metadata[-1] == expected


def test_perf_analyzer_failure_text_masks_header_values(tmp_path: Path) -> None:
    # a stand-in binary that echoes its argv (as a failing perf_analyzer may) and fails
    binary = tmp_path / "perf_analyzer"
    binary.write_text('#!/bin/sh\necho "bad arguments: $*"\nexit 1\n')
    binary.chmod(0o755)
    options = AnalyzerOptions(
        model="m", url="h:2", protocol="http", concurrency=Range(1),
        csv_path=tmp_path / "out.csv", headers=tuple(HEADERS.items()),
    )  # fmt: skip
    with pytest.raises(PerfError) as caught:
        run_analyzer(options, binary=binary)
    assert "s3cret" not in str(caught.value)
    assert "Authorization:***" in str(caught.value)
