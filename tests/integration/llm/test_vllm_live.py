"""A ``kind: vllm`` model end to end on the embedded Triton: build renders config.pbtxt and
model.json, the validator passes, the vllm stand-in loads it, gRPC streams one token per response,
and ``perf`` reports GenAI-Perf's figures, with TTFT growing with the prompt. One server start."""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.grpc as grpcclient

from tritonops.builders.run import build_project
from tritonops.perf.llm import LlmSpec, measure_llm
from tritonops.server import LocalTriton
from tritonops.triton.endpoint import fetch_config, parse_url

PROJECT = """\
repository: model_repository
models:
  - name: chat
    kind: vllm
    vllm:
      model: org/tiny-chat
      max_model_len: 1024
      gpu_memory_utilization: 0.5
      enable_prefix_caching: true
experiments:
  - name: chat-aa
    variants:
      - {name: control, model: chat}
      - {name: candidate, model: chat}
    min_samples: 20
    slo: {ttft_p99_ms: 60000, itl_p99_ms: 60000, min_tokens_per_s: 0.001}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vllm-project")
    (root / "tritonops.yaml").write_text(PROJECT)
    return root / "tritonops.yaml"


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[LocalTriton]:
    root = project.parent
    result = build_project(root / "tritonops.yaml")
    assert result.report is not None
    assert result.report.valid
    repo = result.repository
    assert json.loads((repo / "chat/1/model.json").read_text())["model"] == "org/tiny-chat"
    assert 'backend: "vllm"' in (repo / "chat/config.pbtxt").read_text()
    with LocalTriton(repo, load=["chat"]) as s:
        yield s


def _inputs(prompt: str, *, stream: bool, params: dict[str, Any]) -> list[Any]:
    values = {
        "text_input": np.array([prompt.encode()], dtype=np.object_),
        "stream": np.array([stream]),
        "sampling_parameters": np.array([json.dumps(params).encode()], dtype=np.object_),
        "return_finish_reason": np.array([True]),
    }
    tensors = []
    for name, array in values.items():
        kind = "BOOL" if array.dtype == np.bool_ else "BYTES"
        item = grpcclient.InferInput(name, list(array.shape), kind)
        item.set_data_from_numpy(array)
        tensors.append(item)
    return tensors


def _ask(server: LocalTriton, prompt: str, *, stream: bool, **params: Any) -> list[Any]:
    """Every response of one request (results, or the error text), until the final flag."""
    got: queue.Queue[tuple[Any, Any]] = queue.Queue()
    client = grpcclient.InferenceServerClient(server.grpc_url)
    client.start_stream(callback=lambda result=None, error=None: got.put((result, error)))
    try:
        client.async_stream_infer("chat", _inputs(prompt, stream=stream, params=params))
        out: list[Any] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            result, error = got.get(timeout=60)
            if error is not None:
                return [*out, str(error)]
            out.append(result)
            final = result.get_response().parameters.get("triton_final_response")
            if final is not None and final.bool_param:
                return out
        raise AssertionError("no final response")
    finally:
        client.stop_stream()
        client.close()


def _text(result: Any) -> str:
    return "".join(x.decode() for x in result.as_numpy("text_output").reshape(-1))


def test_streaming_sends_one_token_per_response(server: LocalTriton) -> None:
    responses = _ask(server, "Hello", stream=True, max_tokens=6, ignore_eos=True, temperature=0)
    assert len(responses) == 6
    # one word per token (a special token, which ignore_eos lets through, reads as nothing)
    assert all(len(_text(r).split()) <= 1 for r in responses)
    assert any(_text(r) for r in responses)
    assert responses[-1].as_numpy("finish_reason")[0] == b"length"
    # greedy decoding is deterministic, and the whole answer equals the streamed pieces
    whole = _ask(server, "Hello", stream=False, max_tokens=6, ignore_eos=True, temperature=0)
    assert len(whole) == 1
    assert _text(whole[0]) == "Hello" + "".join(_text(r) for r in responses)


def test_model_json_vllm_would_refuse_fails_the_load(server: LocalTriton) -> None:
    from tritonops.errors import ModelLoadError

    # the other limits are the project file's, held together by tests/unit/server
    engine_args = {"model": "m", "max_seq_len": 8}
    words = "unexpected keyword argument 'max_seq_len'"

    # the rendered model with a hand-edited model.json, loaded beside the served one
    repo = server.options.repository
    bad = repo / "chat_edited"
    (bad / "1").mkdir(parents=True, exist_ok=True)
    text = (repo / "chat/config.pbtxt").read_text().replace('name: "chat"', 'name: "chat_edited"')
    (bad / "config.pbtxt").write_text(text)
    (bad / "1/model.json").write_text(json.dumps(engine_args))
    with pytest.raises(ModelLoadError, match=words):
        server.load("chat_edited")


def test_a_cancelled_stream_stops_generating(server: LocalTriton) -> None:
    got: queue.Queue[Any] = queue.Queue()
    client = grpcclient.InferenceServerClient(server.grpc_url)
    client.start_stream(callback=lambda result=None, error=None: got.put(result))
    params = {"max_tokens": 900, "ignore_eos": True}
    client.async_stream_infer("chat", _inputs("hello", stream=True, params=params))
    got.get(timeout=60)  # generation is under way
    client.stop_stream(cancel_requests=True)
    client.close()
    deadline = time.monotonic() + 30
    stopped: list[str] = []
    while not stopped and time.monotonic() < deadline:
        stopped = [line for line in server.log_tail(400).splitlines() if "Cancelling" in line]
        time.sleep(0.05)
    assert stopped, server.log_tail(40)
    count = int(stopped[-1].split("after ")[1].split(" ")[0])
    assert count < 900


def test_requests_vllm_refuses_are_errors(server: LocalTriton) -> None:
    (error,) = _ask(server, "Hi", stream=True, max_tokens=0)
    assert "max_tokens must be at least 1" in error
    (error,) = _ask(server, "Hi", stream=False, max_tokenz=3)
    assert "unknown sampling parameter" in error


def test_perf_reports_llm_figures_and_ttft_grows_with_the_prompt(server: LocalTriton) -> None:
    config = fetch_config(parse_url(server.grpc_url), "chat")
    medians = {}
    for length in (8, 512):
        spec = LlmSpec(
            "chat",
            server.grpc_url,
            concurrency=(1,),
            prompt_length=length,
            max_tokens=8,
            duration_s=0.6,
        )
        (level,) = measure_llm(spec, config)
        assert level.requests > 0
        assert level.errors == 0
        assert level.output_tokens_per_request == 8
        assert level.output_tokens_per_s > 0
        assert level.ttft.p50 <= level.ttft.p99
        assert level.itl.count == level.requests * 7
        medians[length] = level.ttft.p50
    # a 64x longer prompt is a 64x longer prefill: ordering only, never a time threshold
    assert medians[512] > medians[8]
    (open_level,) = measure_llm(
        LlmSpec(
            "chat", server.grpc_url, rates=(10,), prompt_length=8, max_tokens=4, duration_s=0.5
        ),
        config,
    )
    assert open_level.requests == 5


def test_the_perf_command_prints_the_llm_table(server: LocalTriton, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tritonops.cli.main import cli

    argv = [
        "perf",
        "chat",
        "--url",
        server.grpc_url,
        "--concurrency",
        "1",
        "--interval",
        "200ms",
        "--prompt-length",
        "16",
        "--max-tokens",
        "4",
        "--report",
        str(tmp_path),
    ]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert "TTFT p50 / p90 / p99 ms" in result.output
    assert "output tokens/s" in result.output
    data = json.loads((tmp_path / "llm.json").read_text())
    assert data["levels"][0]["prompt_length"] == 16


def test_ab_test_judges_llm_variants_on_ttft_and_itl(
    server: LocalTriton, project: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from tritonops.cli.main import cli

    argv = ["ab-test", "chat-aa", "-f", str(project), "--url", server.grpc_url,
            "--requests", "60", "--concurrency", "2", "--prompt-length", "8",
            "--max-tokens", "4", "--report", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, argv)
    # the same model on both arms: never a rollback (limits far above anything measured)
    assert result.exit_code in (0, 3), result.output
    assert "TTFT p50" in result.output
    report = json.loads((tmp_path / "llm-report.json").read_text())
    families = report["verdicts"]["candidate"]["families"]
    assert set(families) == {"ttft", "itl", "request latency", "time per output token"}
    assert len(report["samples"]) == 60
    assert all(s["ok"] for s in report["samples"])


def test_ab_test_of_llm_variants_takes_a_duration(
    server: LocalTriton, project: Path, tmp_path: Path
) -> None:
    """Open loop for a duration: rate × duration requests on the schedule, whichever of
    --requests and --duration ends the run first (here the duration)."""
    from click.testing import CliRunner

    from tritonops.cli.main import cli

    argv = ["ab-test", "chat-aa", "-f", str(project), "--url", server.grpc_url,
            "--rate", "40", "--duration", "1s", "--requests", "100000",
            "--prompt-length", "8", "--max-tokens", "2", "--report", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code in (0, 3), result.output
    report = json.loads((tmp_path / "llm-report.json").read_text())
    assert len(report["samples"]) == 40
