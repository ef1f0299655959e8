"""LocalTriton against the real tritonserver: start, load, infer, fail clearly, stop."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

from tritonops.errors import ClientError, ModelLoadError, ServerError
from tritonops.server import LocalTriton
from tritonops.server.ports import free_port
from tritonops.triton import connect, rest
from tritonops.triton import grpc_messages as messages
from tritonops.triton.failures import CallFailure, classify, tritonclient_errors
from tritonops.triton.served import served_config

from ..catalogue import WEIGHTS, onnx_model, python_model


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    python_model(root, "add_one")
    onnx_model(root, "matmul")
    python_model(root, "no_code", code=None)
    python_model(root, "spare")  # loaded and unloaded by the repository-API test only
    (root / "broken").mkdir()
    (root / "broken" / "1").mkdir()
    (root / "broken" / "config.pbtxt").write_text(
        'name: "broken"\nbackend: "python"\nmax_batch_sizee: 2\n'
    )
    return root


@pytest.fixture(scope="module")
def server(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTriton]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    with LocalTriton(repo, load=["add_one", "matmul"], log_file=log) as triton:
        yield triton


def test_python_and_onnx_models_answer_http_and_grpc(server: LocalTriton) -> None:
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    http = httpclient.InferenceServerClient(server.http_url)
    item = httpclient.InferInput("x", [2, 4], "FP32")
    item.set_data_from_numpy(x)
    np.testing.assert_allclose(http.infer("add_one", [item]).as_numpy("y"), x + 1)

    grpc = grpcclient.InferenceServerClient(server.grpc_url)
    item = grpcclient.InferInput("x", [2, 4], "FP32")
    item.set_data_from_numpy(x)
    np.testing.assert_allclose(grpc.infer("matmul", [item]).as_numpy("y"), x @ WEIGHTS, rtol=1e-5)


def test_concurrent_requests_are_merged_and_split_back(server: LocalTriton) -> None:
    client = httpclient.InferenceServerClient(server.http_url, concurrency=8)
    inputs = [np.full((1, 4), i, dtype=np.float32) for i in range(16)]
    pending = []
    for x in inputs:
        item = httpclient.InferInput("x", [1, 4], "FP32")
        item.set_data_from_numpy(x)
        pending.append(client.async_infer("matmul", [item]))
    for x, handle in zip(inputs, pending, strict=True):
        np.testing.assert_allclose(handle.get_result().as_numpy("y"), x @ WEIGHTS, rtol=1e-5)


def test_config_that_does_not_parse_reports_the_servers_reason(server: LocalTriton) -> None:
    with pytest.raises(ModelLoadError, match="max_batch_sizee"):
        server.load("broken")


def test_python_model_without_model_py_fails_instead_of_hanging(server: LocalTriton) -> None:
    with pytest.raises(ModelLoadError) as info:
        server.load("no_code", timeout_s=8)
    assert info.value.model == "no_code"


def test_port_in_use_is_a_clear_error(repo: Path, server: LocalTriton) -> None:
    with pytest.raises(ServerError, match="in use"):
        LocalTriton(repo, http_port=server.options.http_port).start()


def test_missing_binary_says_what_to_install(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRITONSERVER", "/nonexistent/tritonserver")
    with pytest.raises(ServerError, match=r"pip install 'tritonops\[local\]'"):
        LocalTriton(repo)


def test_killed_server_is_reported(repo: Path, tmp_path: Path) -> None:
    triton = LocalTriton(repo, log_file=tmp_path / "log", http_port=free_port())
    with triton:
        assert triton.pid is not None
        os.killpg(triton.pid, signal.SIGKILL)
        with pytest.raises(ServerError, match="not running"):
            triton.load("add_one")


def test_unknown_models_are_not_found_by_status_on_every_protocol(server: LocalTriton) -> None:
    """Triton maps TRITONSERVER_ERROR_NOT_FOUND to HTTP 404 (server src/http_server.cc,
    HttpCodeFromError) and gRPC NOT_FOUND; the boundary classifies by that code alone."""
    reply = rest.request(server.http_url, rest.model_path("nope") + "/config")
    assert reply.status == 404
    assert classify(str(reply.status)) is CallFailure.NOT_FOUND
    for client, status in (
        (connect.http_client(server.http_url), "404"),
        (connect.grpc_client(server.grpc_url), "StatusCode.NOT_FOUND"),
    ):
        with pytest.raises(ClientError) as info, tritonclient_errors(server.http_url, "metadata"):
            client.get_model_metadata("nope")
        client.close()
        assert info.value.status == status
        assert classify(info.value.status) is CallFailure.NOT_FOUND
    channel = connect.grpc_channel(server.grpc_url)
    try:
        with pytest.raises(ClientError) as info, messages.rpc_errors(server.grpc_url, "config", 5):
            messages.stub(channel).ModelConfig(messages.config_request("nope", ""), timeout=5)
    finally:
        channel.close()
    assert classify(info.value.status) is CallFailure.NOT_FOUND


def test_repository_api_health_statistics_and_metrics_over_rest(server: LocalTriton) -> None:
    """The v2 paths of the repository and statistics extensions (server docs/protocol/
    extension_model_repository.md, extension_statistics.md) answer what the helpers expect."""
    assert rest.live(server.http_url)
    assert rest.ready(server.http_url)
    assert rest.server_metadata(server.http_url)["version"].startswith("2.")
    served = rest.model_config(server.http_url, "add_one")
    override = dict(served, name="spare", max_batch_size=2)
    load = rest.load(server.http_url, "spare", config=json.dumps(override))
    assert load.status == 200, load.text()
    try:
        assert served_config(server.http_url, "spare").max_batch_size == 2
        assert served_config(server.grpc_url, "spare", protocol="grpc").max_batch_size == 2
        assert rest.model_versions(server.http_url, "spare") == ["1"]
        stats = rest.statistics(server.http_url, "spare")
        assert [m["name"] for m in stats["model_stats"]] == ["spare"]
        index = rest.repository_index(server.http_url)
        states = {m["name"]: m.get("state") for m in json.loads(index.body)}
        assert states["spare"] == "READY"
        assert "nv_inference_count" in rest.metrics_text(server.metrics_url).text()
    finally:
        assert rest.unload(server.http_url, "spare").status == 200
    gone = rest.request(server.http_url, rest.model_path("spare") + "/config")
    assert classify(str(gone.status)) is CallFailure.NOT_FOUND


def test_a_server_that_refuses_its_options_says_which(tmp_path: Path) -> None:
    """tritonserver prints its whole usage before the reason; the error shows the reason, not
    usage lines that merely contain the word "error" (--log-error, --exit-on-error)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    server = LocalTriton(repo, extra_args=["--exit-timeout-secs=soon"])
    with pytest.raises(ServerError) as caught:
        server.start()
    message = str(caught.value)
    assert 'Bad option: "--exit-timeout-secs"' in message
    assert "--log-error" not in message


def test_a_killed_server_leaves_no_shared_memory_behind(tmp_path: Path) -> None:
    """The python backend's stubs unlink their /dev/shm regions only when they exit cleanly;
    a server that had to be killed would leave them (memory, until the machine restarts)."""
    repo = tmp_path / "repo"
    python_model(repo, "add_one")
    server = LocalTriton(repo, load=["add_one"])
    server.start()
    prefix = server.options.shm_prefix
    assert prefix
    try:
        assert list(Path("/dev/shm").glob(f"{prefix}*")), "the stub made no region of ours"
        assert server._process is not None
        os.killpg(server._process.pid, signal.SIGKILL)  # as a stop that gives up would
        server._process.wait(timeout=10)
    finally:
        server.stop()
    assert not list(Path("/dev/shm").glob(f"{prefix}*"))
