"""``perf`` on an LLM model: streaming requests over one gRPC stream, timed per response.

A model counts as an LLM when it is decoupled and takes a ``text_input`` string (Triton's vLLM
backend, a TensorRT-LLM ensemble or BLS). Each request asks for ``max_tokens`` tokens after a
prompt of ``prompt_length`` characters (one token per character on the stand-in tokenizers), with
streaming on, so every token arrives as its own response. Closed loop keeps ``concurrency``
requests in flight; open loop sends ``rate`` requests per second on a fixed schedule whatever
comes back. Figures: ``tritonops.perf.llm_metrics``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from tritonops.errors import PerfError
from tritonops.model_config import DataType, ModelConfig
from tritonops.perf.llm_metrics import LlmLevel, Trace, summarize_traces

_TEXT = "text_input"
_PROMPT_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def is_llm(config: ModelConfig) -> bool:
    """Decoupled, with a string ``text_input``: what the LLM figures apply to."""
    policy = config.model_transaction_policy
    decoupled = policy is not None and policy.decoupled
    text = next((t for t in config.input if t.name == _TEXT), None)
    return decoupled and text is not None and text.data_type is DataType.TYPE_STRING


@dataclass(frozen=True)
class LlmSpec:
    """What to measure: load levels (concurrency, or ``rates`` for open loop) and the request."""

    model: str
    address: str  # host:port of Triton's gRPC endpoint
    concurrency: Sequence[int] = (1,)
    rates: Sequence[float] = ()
    prompt_length: int = 64
    max_tokens: int = 16
    duration_s: float = 3.0
    warmup_requests: int = 1
    timeout_s: float = 60.0


def prompt_of(length: int) -> str:
    """A prompt of ``length`` characters (letters only: one token each on a byte tokenizer)."""
    return "".join(_PROMPT_LETTERS[i % len(_PROMPT_LETTERS)] for i in range(length))


def _shape(config: ModelConfig, dims: Sequence[int]) -> list[int]:
    shape = [1 if d == -1 else d for d in dims] or [1]
    return [1, *shape] if config.max_batch_size > 0 else shape


def request_inputs(config: ModelConfig, prompt: str, max_tokens: int) -> list[Any]:
    """The inputs one request sends: the prompt, streaming on, and the output budget where the
    model takes one (vLLM's ``sampling_parameters`` with ``ignore_eos`` so every request makes
    ``max_tokens`` tokens, as GenAI-Perf asks; a TensorRT-LLM ensemble's ``max_tokens``)."""
    by_name = {t.name: t for t in config.input}
    values: dict[str, np.ndarray[Any, Any]] = {_TEXT: np.array([prompt.encode()], dtype=np.object_)}
    if "stream" in by_name:
        values["stream"] = np.array([True])
    if "exclude_input_in_output" in by_name:
        values["exclude_input_in_output"] = np.array([True])
    if "sampling_parameters" in by_name:
        params = {"max_tokens": max_tokens, "ignore_eos": True}
        values["sampling_parameters"] = np.array([json.dumps(params).encode()], dtype=np.object_)
    if "return_num_output_tokens" in by_name:
        values["return_num_output_tokens"] = np.array([True])
    if "max_tokens" in by_name:
        values["max_tokens"] = np.array([max_tokens]).astype(by_name["max_tokens"].data_type.numpy)
    tensors = []
    for name, array in values.items():
        tensor = by_name[name]
        shaped = array.reshape(_shape(config, tensor.dims))
        item = grpcclient.InferInput(name, list(shaped.shape), tensor.data_type.api_name)
        item.set_data_from_numpy(shaped)
        tensors.append(item)
    return tensors


def _tokens(result: Any) -> int:
    """Tokens in one response: ``num_output_tokens`` when the model returns it, else one per
    response that carries non-empty text (a streaming LLM sends one token per response)."""
    response = result.get_response()
    names = {o.name for o in response.outputs}
    if "num_output_tokens" in names:
        count = result.as_numpy("num_output_tokens")
        if count is not None:
            return int(np.asarray(count).sum())
    if "text_output" in names:
        text = result.as_numpy("text_output")
        if text is not None and any(len(x) for x in np.asarray(text).reshape(-1)):
            return 1
        return 0
    return 1 if response.outputs else 0


class _Stream:
    """One gRPC stream: requests go out with an id, each response is filed under its trace."""

    def __init__(self, spec: LlmSpec, config: ModelConfig) -> None:
        self.spec = spec
        self.config = config
        self.client = grpcclient.InferenceServerClient(spec.address)
        self.traces: dict[str, Trace] = {}
        self.finished: queue.Queue[str] = queue.Queue()
        self.lock = threading.Lock()
        self.next_id = 0
        self.inputs = request_inputs(config, prompt_of(spec.prompt_length), spec.max_tokens)
        self.client.start_stream(callback=self._on_response)

    # tritonclient calls back with keyword arguments (result=..., error=...) on its own thread
    def _on_response(self, result: Any = None, error: Any = None) -> None:
        at = time.perf_counter()
        if result is None:
            # an error without a request id cannot be filed; it fails the level
            with self.lock:
                open_ids = [i for i, t in self.traces.items() if t.final_s is None]
            for rid in open_ids[:1]:
                self._finish(rid, at, str(error))
            return
        response = result.get_response()
        rid = response.id
        with self.lock:
            trace = self.traces.get(rid)
        if trace is None:
            return
        if error is not None:
            self._finish(rid, at, str(error))
            return
        tokens = _tokens(result)
        if response.outputs:
            trace.responses.append((at, tokens))
        final = response.parameters.get("triton_final_response")
        if final is not None and final.bool_param:
            self._finish(rid, at, None)

    def _finish(self, rid: str, at: float, error: str | None) -> None:
        with self.lock:
            trace = self.traces[rid]
            if trace.final_s is not None:
                return
            trace.final_s = at
            trace.error = error
        self.finished.put(rid)

    def send(self) -> str:
        with self.lock:
            rid = str(self.next_id)
            self.next_id += 1
            self.traces[rid] = Trace(sent_s=time.perf_counter())
        try:
            self.client.async_stream_infer(
                self.spec.model, self.inputs, request_id=rid, enable_empty_final_response=True
            )
        except InferenceServerException as exc:
            raise PerfError(f"sending to {self.spec.model!r} failed: {exc}") from exc
        return rid

    def wait(self, deadline: float) -> str:
        try:
            return self.finished.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty as exc:
            raise PerfError(
                f"{self.spec.model!r} did not finish a request in {self.spec.timeout_s:g} s — "
                "lower --max-tokens or the load, or check the server log"
            ) from exc

    def close(self) -> None:
        self.client.stop_stream()
        self.client.close()


def _closed(stream: _Stream, concurrency: int) -> list[Trace]:
    spec = stream.spec
    end = time.perf_counter() + spec.duration_s
    measured: set[str] = set()
    in_flight = 0
    for _ in range(concurrency):
        measured.add(stream.send())
        in_flight += 1
    while in_flight:
        stream.wait(time.perf_counter() + spec.timeout_s)
        in_flight -= 1
        if time.perf_counter() < end:
            measured.add(stream.send())
            in_flight += 1
    return [stream.traces[r] for r in sorted(measured, key=int)]


def _open(stream: _Stream, rate: float) -> list[Trace]:
    spec = stream.spec
    start = time.perf_counter()
    count = max(1, int(rate * spec.duration_s))
    sent: list[str] = []
    for i in range(count):
        due = start + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sent.append(stream.send())
    for _ in sent:
        stream.wait(time.perf_counter() + spec.timeout_s)
    return [stream.traces[r] for r in sent]


def measure_llm(
    spec: LlmSpec, config: ModelConfig, *, on_level: Callable[[LlmLevel], None] | None = None
) -> list[LlmLevel]:
    """Every load level of ``spec``, after ``warmup_requests`` unmeasured requests."""
    if not is_llm(config):
        raise PerfError(
            f"{spec.model!r} is not a streaming LLM model (decoupled, with a string text_input) — "
            "measure it without the LLM options"
        )
    if spec.prompt_length < 1 or spec.max_tokens < 1:
        raise PerfError("--prompt-length and --max-tokens must be at least 1")
    levels: list[LlmLevel] = []
    stream = _Stream(spec, config)
    try:
        for _ in range(spec.warmup_requests):
            stream.send()
            stream.wait(time.perf_counter() + spec.timeout_s)
        loads: list[float] = list(spec.rates) or [float(c) for c in spec.concurrency]
        for load in loads:
            if load <= 0:
                raise PerfError(f"load {load:g} is not positive — give levels above 0")
            traces = _open(stream, load) if spec.rates else _closed(stream, int(load))
            failed = [t.error for t in traces if t.error is not None]
            if failed and len(failed) == len(traces):
                raise PerfError(f"every request to {spec.model!r} failed: {failed[0]}")
            level = summarize_traces(traces, load, spec.prompt_length)
            levels.append(level)
            if on_level is not None:
                on_level(level)
    finally:
        stream.close()
    return levels
