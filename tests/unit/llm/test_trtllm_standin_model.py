"""The tensorrtllm stand-in's model.py, run against a fake of Triton's python backend module.

The fake (``FakePbUtils``) records what the model sends; the real server path is covered by
tests/integration/server/test_trtllm_standin.py. Here: one response per token and one final
flag, whole answers, cancellation mid-stream, the load refusals, request errors.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tritonops.llm import engine, engine_file, trtllm_contract

MODEL_PY = Path(__file__).parents[3] / "src/tritonops/server/backends/tensorrtllm/model.py"
FINAL = 1
ENGINE = engine_file.StandinEngine(
    decoder={"vocab_size": 49, "hidden_size": 32, "max_position_embeddings": 128},
    seed=3,
    limits={"max_batch_size": 4, "max_input_len": 16, "max_seq_len": 128, "max_beam_width": 1},
    checkpoint="tiny",
)


class FakeTensor:
    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, np.asarray(value)

    def as_numpy(self) -> Any:
        return self.value


class FakeResponse:
    def __init__(self, output_tensors: list[FakeTensor], error: Any = None) -> None:
        self.outputs = {t.name: t.value for t in output_tensors}
        self.error = error


class FakeError:
    def __init__(self, message: str) -> None:
        self.message = message


class FakeSender:
    def __init__(self, cancel_after: int | None = None, log: list[str] | None = None) -> None:
        self.sent: list[tuple[FakeResponse | None, int]] = []
        self.cancel_after = cancel_after
        self.done = threading.Event()
        self.log = log if log is not None else []  # shared by senders: the order of sends

    def send(self, response: FakeResponse | None = None, flags: int = 0) -> None:
        self.sent.append((response, flags))
        self.log.append(str(id(self)))
        if flags & FINAL:
            self.done.set()

    def is_cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.sent) >= self.cancel_after


class FakeRequest:
    def __init__(self, inputs: dict[str, Any], sender: FakeSender, request_id: str = "") -> None:
        self.inputs = {k: np.asarray(v) for k, v in inputs.items()}
        self.sender = sender
        self.id = request_id

    def get_response_sender(self) -> FakeSender:
        return self.sender

    def request_id(self) -> str:
        return self.id

    def requested_output_names(self) -> list[str]:
        return ["output_ids", "sequence_length", "output_log_probs", "cum_log_probs"]


def _fake_pb_utils() -> types.ModuleType:
    fake = types.ModuleType("triton_python_backend_utils")
    fake.TRITONSERVER_RESPONSE_COMPLETE_FINAL = FINAL  # type: ignore[attr-defined]
    fake.Tensor = FakeTensor  # type: ignore[attr-defined]
    fake.InferenceResponse = FakeResponse  # type: ignore[attr-defined]
    fake.TritonError = FakeError  # type: ignore[attr-defined]
    fake.TritonModelException = type("TritonModelException", (Exception,), {})  # type: ignore[attr-defined]
    fake.Logger = types.SimpleNamespace(  # type: ignore[attr-defined]
        log_warn=lambda message: None, log_error=lambda message: None
    )

    def tensor(request: FakeRequest, name: str) -> FakeTensor | None:
        return FakeTensor(name, request.inputs[name]) if name in request.inputs else None

    def decoupled(config: dict[str, Any]) -> bool:
        return bool(config.get("model_transaction_policy", {}).get("decoupled"))

    fake.get_input_tensor_by_name = tensor  # type: ignore[attr-defined]
    fake.using_decoupled_model_transaction_policy = decoupled  # type: ignore[attr-defined]
    return fake


@pytest.fixture
def model_module(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    # in the stub, the backend folder holds copies of the llm modules under these names
    monkeypatch.setitem(sys.modules, "triton_python_backend_utils", _fake_pb_utils())
    monkeypatch.setitem(sys.modules, "engine", engine)
    monkeypatch.setitem(sys.modules, "engine_file", engine_file)
    monkeypatch.setitem(sys.modules, "trtllm_contract", trtllm_contract)
    spec = importlib.util.spec_from_file_location("tensorrtllm_standin_model", MODEL_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _args(
    tmp_path: Path, decoupled: bool = True, engine_text: str | None = None, batch: int = 4
) -> dict[str, str]:
    folder = tmp_path / "repo" / "llm"
    (folder / "1").mkdir(parents=True, exist_ok=True)
    if engine_text is None:
        limits = {**ENGINE.limits, "max_batch_size": batch}
        engine_text = engine_file.StandinEngine(ENGINE.decoder, ENGINE.seed, limits, "t").to_json()
    if engine_text:
        (folder / "1" / engine_file.FILE_NAME).write_text(engine_text)
    params = {
        "gpt_model_type": "inflight_fused_batching",
        "gpt_model_path": "/models/llm/1",
        "tokenizer_dir": "",
        "xgrammar_tokenizer_info_path": "",
        "guided_decoding_backend": "",
    }
    config = {
        "name": "llm",
        "parameters": {k: {"string_value": v} for k, v in params.items()},
        "model_transaction_policy": {"decoupled": decoupled},
    }
    return {
        "model_config": json.dumps(config),
        "model_repository": str(folder),
        "model_version": "1",
    }


def _inputs(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "input_ids": [[1, 5, 9, 10]],
        "input_lengths": [4],
        "request_output_len": [6],
    }
    base.update(extra)
    return base


def _expected(tokens: int) -> list[int]:
    decoder = engine.TinyDecoder(ENGINE.decoder, ENGINE.seed)
    return list(decoder.generate([1, 5, 9, 10], tokens))


def _started(module: types.ModuleType, args: dict[str, str]) -> Any:
    model = module.TritonPythonModel()
    model.initialize(args)
    return model


def test_streaming_sends_one_response_per_token_then_the_final_flag(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    sender = FakeSender()
    try:
        assert (
            model.execute([FakeRequest(_inputs(streaming=[True], return_log_probs=[True]), sender)])
            is None
        )
        assert sender.done.wait(30)
    finally:
        model.finalize()
    with_tokens = [r for r, _ in sender.sent if r is not None and r.outputs["output_ids"].size]
    assert [int(r.outputs["output_ids"].reshape(-1)[0]) for r in with_tokens] == _expected(6)
    assert all(r.outputs["output_ids"].shape == (1, 1, 1) for r in with_tokens)
    assert all(r.outputs["output_log_probs"].shape == (1, 1, 1) for r in with_tokens)
    flags = [f for _, f in sender.sent]
    assert flags.count(FINAL) == 1
    assert flags[-1] == FINAL


def test_without_streaming_one_final_response_holds_prompt_and_tokens(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    sender = FakeSender()
    try:
        model.execute([FakeRequest(_inputs(), sender)])
        assert sender.done.wait(30)
    finally:
        model.finalize()
    ((response, flags),) = sender.sent
    assert flags == FINAL
    assert response is not None
    # exclude_input_in_output defaults to false: the prompt comes back first
    assert response.outputs["output_ids"].reshape(-1).tolist() == [1, 5, 9, 10, *_expected(6)]
    assert response.outputs["sequence_length"].tolist() == [[10]]


def test_a_cancelled_request_stops_generating_and_is_closed(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    sender = FakeSender(cancel_after=2)
    try:
        model.execute([FakeRequest(_inputs(streaming=[True], request_output_len=[100]), sender)])
        assert sender.done.wait(30)
    finally:
        model.finalize()
    tokens = [r for r, _ in sender.sent if r is not None]
    assert len(tokens) == 2  # the loop saw the cancellation before the third step
    assert sender.sent[-1] == (None, FINAL)


def test_a_request_error_is_the_final_response(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    sender = FakeSender()
    try:
        model.execute([FakeRequest(_inputs(input_ids=[[1] * 17]), sender)])
    finally:
        model.finalize()
    ((response, flags),) = sender.sent
    assert flags == FINAL
    assert response is not None
    assert "Prompt length (17) exceeds maximum input length (16)." in response.error.message


def test_a_non_decoupled_model_answers_inside_execute(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path, decoupled=False))
    answered, refused = model.execute(
        [
            FakeRequest(_inputs(exclude_input_in_output=[True]), FakeSender()),
            FakeRequest(_inputs(streaming=[True]), FakeSender()),
        ]
    )
    assert answered.outputs["output_ids"].reshape(-1).tolist() == _expected(6)
    assert "Streaming is only supported if model is deployed using decoupled mode." in (
        refused.error.message
    )


def test_a_real_engine_is_refused_at_load(model_module: types.ModuleType, tmp_path: Path) -> None:
    args = _args(tmp_path, engine_text="")
    engine_folder = Path(args["model_repository"]) / "1"
    (engine_folder / "config.json").write_text("{}")
    (engine_folder / "rank0.engine").write_bytes(b"\0")
    model = model_module.TritonPythonModel()
    with pytest.raises(Exception, match="holds a real TensorRT-LLM engine"):
        model.initialize(args)


@pytest.mark.parametrize(("batch", "interleaved"), [(4, True), (1, False)])
def test_sequences_share_iterations_up_to_the_engines_batch_size(
    model_module: types.ModuleType, tmp_path: Path, batch: int, interleaved: bool
) -> None:
    model = _started(model_module, _args(tmp_path, batch=batch))
    log: list[str] = []
    first, second = FakeSender(log=log), FakeSender(log=log)
    try:
        # both arrive in one execute: one dynamic batch
        model.execute(
            [
                FakeRequest(_inputs(streaming=[True], request_output_len=[4]), first),
                FakeRequest(_inputs(streaming=[True], request_output_len=[4]), second),
            ]
        )
        assert first.done.wait(30)
        assert second.done.wait(30)
    finally:
        model.finalize()
    a, b = str(id(first)), str(id(second))
    if interleaved:  # in-flight: one token each per iteration
        assert log[:4] == [a, b, a, b]
    else:  # a batch of one: the second waits for the first to finish
        assert log == [a] * 4 + [b] * 4


def test_a_stop_request_cancels_the_request_with_its_id(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    running, stopper, anonymous = FakeSender(), FakeSender(), FakeSender()
    try:
        long = _inputs(streaming=[True], request_output_len=[120])
        model.execute([FakeRequest(long, running, request_id="r1")])
        model.execute([FakeRequest(_inputs(stop=[True]), stopper, request_id="r1")])
        model.execute([FakeRequest(_inputs(stop=[True]), anonymous)])
        assert running.done.wait(30)
    finally:
        model.finalize()
    # handleStopRequest: an empty final response for the stop request itself
    ((answer, flags),) = stopper.sent
    assert flags == FINAL
    assert answer is not None
    assert answer.outputs == {}
    assert len([r for r, _ in running.sent if r is not None]) < 120
    ((refusal, _),) = anonymous.sent
    assert refusal is not None
    assert "request ID is not provided" in refusal.error.message


def test_tensors_of_odd_shapes_fail_their_request_alone(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    odd, fine = FakeSender(), FakeSender()
    try:
        batch = _inputs(input_ids=[[1, 2], [3, 4]], input_lengths=[2])  # one length for two rows
        model.execute([FakeRequest(batch, odd), FakeRequest(_inputs(), fine)])
        assert fine.done.wait(30)
    finally:
        model.finalize()
    ((refusal, flags),) = odd.sent
    assert flags == FINAL
    assert refusal is not None
    assert "cannot read the request's tensors" in refusal.error.message
    assert fine.sent[-1][0] is not None


def test_unloading_closes_what_is_still_running(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path, batch=1))
    senders = [FakeSender(), FakeSender()]
    long = _inputs(streaming=[True], request_output_len=[120])
    model.execute([FakeRequest(long, sender) for sender in senders])
    model.finalize()
    for sender in senders:  # the running one and the waiting one
        assert sender.done.wait(30)
        last, flags = sender.sent[-1]
        assert flags == FINAL
        if last is not None and last.error is not None:
            assert "unloaded before generation ended" in last.error.message
    assert any(s.sent[-1][0] is not None and s.sent[-1][0].error for s in senders)


class BrokenSender(FakeSender):
    """A client gone mid-stream: every send fails."""

    def send(self, response: FakeResponse | None = None, flags: int = 0) -> None:
        self.sent.append((response, flags))
        raise RuntimeError("the stream is closed")


def test_a_failing_client_never_stops_the_others(
    model_module: types.ModuleType, tmp_path: Path
) -> None:
    model = _started(model_module, _args(tmp_path))
    broken, fine = BrokenSender(), FakeSender()
    try:
        stream = _inputs(streaming=[True])
        model.execute([FakeRequest(stream, broken), FakeRequest(stream, fine)])
        assert fine.done.wait(30)
    finally:
        model.finalize()
    tokens = [r for r, _ in fine.sent if r is not None and r.outputs["output_ids"].size]
    assert len(tokens) == 6
    # the broken one was tried once for its token, once for the error that ends it
    assert len(broken.sent) == 2
    assert broken.sent[-1][1] == FINAL
