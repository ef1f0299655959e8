"""LocalTriton against the real tritonserver: start, load, infer, fail clearly, stop."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

from tritonops.errors import ModelLoadError, ServerError
from tritonops.server import LocalTriton
from tritonops.server.ports import free_port

from ..catalogue import WEIGHTS, onnx_model, python_model


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    python_model(root, "add_one")
    onnx_model(root, "matmul")
    python_model(root, "no_code", code=None)
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
