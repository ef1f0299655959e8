"""examples/llm on the embedded server: build --dry-run, then all five models load and generate.

One server for the module (the five models, and the engine model once more without decoupled
responses): the same load-and-smoke pass ``validate --load`` runs, a text request
to the ensemble over HTTP (Triton's generate endpoint), a token stream from the tensorrt_llm
model over gRPC that matches the stand-in engine's own tokens, and the engine's limit refused in
the backend's words.
"""

from __future__ import annotations

import json
import queue
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from tritonops.builders.run import build_project
from tritonops.deploy.check import load_and_smoke, repository_models
from tritonops.llm import engine_file
from tritonops.llm.engine import TinyDecoder
from tritonops.server import LocalTriton

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "llm"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalTriton, Path]]:
    project = tmp_path_factory.mktemp("llm") / "llm"
    shutil.copytree(
        EXAMPLE, project, ignore=shutil.ignore_patterns(".tritonops", "model_repository")
    )
    build_project(project / "tritonops.yaml", dry_run=True)
    repository = project / "model_repository"
    # the same engine served without decoupled responses: one answer per request, over HTTP
    sync = repository / "tinyllama_sync"
    shutil.copytree(repository / "tinyllama", sync)
    config = (sync / "config.pbtxt").read_text()
    config = config.replace('name: "tinyllama"', 'name: "tinyllama_sync"')
    (sync / "config.pbtxt").write_text(
        config.replace("model_transaction_policy { decoupled: true }", "")
    )
    with LocalTriton(repository) as server:
        yield server, repository


@pytest.fixture(scope="module")
def smoked(served: tuple[LocalTriton, Path]) -> dict[str, Any]:
    server, repository = served
    return {r.model: r for r in load_and_smoke(server, repository_models(repository))}


def test_every_model_loads_and_answers_a_generate_smoke(smoked: dict[str, Any]) -> None:
    assert sorted(smoked) == [
        "tinyllama",
        "tinyllama_bls",
        "tinyllama_ensemble",
        "tinyllama_postprocessing",
        "tinyllama_preprocessing",
        "tinyllama_sync",
    ]
    failed = {name: f"{r.state}: {r.detail}" for name, r in smoked.items() if not r.passed}
    assert failed == {}
    for name in ("tinyllama_ensemble", "tinyllama_bls", "tinyllama"):
        assert smoked[name].state == "READY"
        assert "streamed over gRPC" in smoked[name].detail
    assert "generated '" in smoked["tinyllama_ensemble"].detail
    assert "one response" in smoked["tinyllama_sync"].detail


def _generate(server: LocalTriton, model: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://{server.http_url}/v2/models/{model}/generate",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_text_in_text_out_over_http(
    served: tuple[LocalTriton, Path], smoked: dict[str, Any]
) -> None:
    server, _ = served
    for model in ("tinyllama_ensemble", "tinyllama_bls"):
        status, body = _generate(
            server, model, {"text_input": "what is the capital of france", "max_tokens": 6}
        )
        assert status == 200, body
        assert body["text_output"].strip(), body


def test_the_engine_limit_is_refused_in_the_backends_words(
    served: tuple[LocalTriton, Path], smoked: dict[str, Any]
) -> None:
    server, _ = served
    status, body = _generate(
        server, "tinyllama_ensemble", {"text_input": " ".join(["cat"] * 1600), "max_tokens": 2}
    )
    assert status == 400
    # 1600 words and <s>: over the engine's max_input_len of 1536
    assert "Prompt length (1601) exceeds maximum input length (1536)." in body["error"]


def test_a_token_stream_over_grpc_matches_the_engine(
    served: tuple[LocalTriton, Path], smoked: dict[str, Any]
) -> None:
    server, repository = served
    engine = engine_file.read(repository / "tinyllama" / "1")
    prompt = [1, 3, 20, 21, 9]
    expected = list(TinyDecoder(engine.decoder, engine.seed).generate(prompt, 5, end_id=2))
    arrays = {
        "input_ids": np.array([prompt], dtype=np.int32),
        "input_lengths": np.array([[len(prompt)]], dtype=np.int32),
        "request_output_len": np.array([[5]], dtype=np.int32),
        "end_id": np.array([[2]], dtype=np.int32),
        "streaming": np.array([[True]], dtype=np.bool_),
    }
    answers: queue.Queue[tuple[Any, Any]] = queue.Queue()
    client = grpcclient.InferenceServerClient(server.grpc_url)
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    try:
        inputs = []
        for name, array in arrays.items():
            kind = "BOOL" if array.dtype == np.bool_ else "INT32"
            item = grpcclient.InferInput(name, list(array.shape), kind)
            item.set_data_from_numpy(array)
            inputs.append(item)
        client.async_stream_infer("tinyllama", inputs, enable_empty_final_response=True)
        pieces: list[list[int]] = []
        while True:
            result, error = answers.get(timeout=60)
            assert error is None, error
            response = result.get_response()
            if response.outputs:
                pieces.append(result.as_numpy("output_ids").reshape(-1).tolist())
            if response.parameters["triton_final_response"].bool_param:
                break
    finally:
        client.stop_stream()
        client.close()
    assert len(pieces) >= 2  # a response per token, not one at the end
    assert [t for piece in pieces for t in piece] == expected
