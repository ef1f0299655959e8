"""Streaming LLM requests over gRPC, each response timed and filed under its request.

Triton serves a decoupled model's responses over gRPC streaming only. ``LlmStream`` sends
requests (to any model on the server) and records, per request, when it was sent and when each
response came back with how many tokens; ``perf`` and ``abtest`` build their figures from those
``Trace``s.
"""

from __future__ import annotations

import itertools
import json
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tritonops.errors import ClientError
from tritonops.model_config import DataType, ModelConfig
from tritonops.triton.requests import infer_inputs
from tritonops.triton.served import served_config as read_served
from tritonops.triton.streams import GrpcStream, StreamResponse

_TEXT = "text_input"
# words every stand-in vocabulary knows (examples/llm's tokenizer.json holds them all)
_PROMPT_WORDS = ("hello", "world", "the", "model", "is", "a", "fast", "small", "engine", "for")


def is_llm(config: ModelConfig) -> bool:
    """Decoupled, with a string ``text_input``: what the LLM figures apply to."""
    policy = config.model_transaction_policy
    decoupled = policy is not None and policy.decoupled
    text = next((t for t in config.input if t.name == _TEXT), None)
    return decoupled and text is not None and text.data_type is DataType.TYPE_STRING


@dataclass
class Trace:
    """One request as the client saw it: when it was sent and each response (time, tokens)."""

    sent_s: float
    model: str = ""
    responses: list[tuple[float, int]] = field(default_factory=list)
    final_s: float | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.final_s is not None and self.error is None

    @property
    def tokens(self) -> int:
        return sum(n for _, n in self.responses)

    def ttft_s(self) -> float | None:
        first = next((t for t, n in self.responses if n > 0), None)
        return None if first is None else first - self.sent_s

    def itl_s(self) -> list[float]:
        timed = [(t, n) for t, n in self.responses if n > 0]
        return [(t2 - t1) / n2 for (t1, _), (t2, n2) in itertools.pairwise(timed)]


def prompt_of(length: int) -> str:
    """A prompt of ``length`` words: one token each on a word-level tokenizer (both stand-ins),
    roughly one each on a production subword tokenizer."""
    return " ".join(_PROMPT_WORDS[i % len(_PROMPT_WORDS)] for i in range(length))


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
    shaped = {n: a.reshape(_shape(config, by_name[n].dims)) for n, a in values.items()}
    return infer_inputs("grpc", shaped, {n: by_name[n].data_type.api_name for n in shaped})


def _tokens(response: StreamResponse) -> int:
    """Tokens in one response: ``num_output_tokens`` when the model returns it, else one per
    response that carries non-empty text (a streaming LLM sends one token per response)."""
    count = response.array("num_output_tokens")
    if count is not None:
        return int(np.asarray(count).sum())
    if "text_output" in response.output_names:
        text = response.array("text_output")
        if text is not None and any(len(x) for x in np.asarray(text).reshape(-1)):
            return 1
        return 0
    return 1 if response.output_names else 0


class _Lane:
    """One gRPC stream carrying at most one request at a time.

    tritonclient hands a stream's error responses to the callback without the response (so
    without the request id); with one request per stream the error still belongs to a request.
    """

    def __init__(self) -> None:
        self.stream: GrpcStream | None = None
        self.rid: str | None = None
        self.broken = False

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


class LlmStream:
    """Streaming requests to one server, each response filed under its request's ``Trace``.

    Requests go out on lanes (gRPC streams) that carry one request at a time; a lane is reused
    once its request finished, and a new one opens when every lane is busy."""

    def __init__(
        self, address: str, timeout_s: float = 60.0, headers: Mapping[str, str] | None = None
    ) -> None:
        self.address = address
        self.timeout_s = timeout_s
        # sent when each stream opens: they then cover every request on that stream
        self._headers = dict(headers or {})
        self.traces: dict[str, Trace] = {}
        self.finished: queue.Queue[str] = queue.Queue()
        self.lock = threading.Lock()
        self.next_id = 0
        self.lanes: list[_Lane] = []
        self.idle: list[_Lane] = []
        self.idle.append(self._open_lane())  # fail early when the server cannot be reached

    def _open_lane(self) -> _Lane:
        lane = _Lane()

        def on_response(response: StreamResponse | None, error: str | None) -> None:
            self._on_response(lane, response, error)

        # a ClientError here (no server) is the caller's: the first lane opens in __init__
        lane.stream = GrpcStream(self.address, on_response, self._headers)
        with self.lock:
            self.lanes.append(lane)
        return lane

    def _on_response(self, lane: _Lane, response: StreamResponse | None, error: str | None) -> None:
        at = time.perf_counter()
        rid = lane.rid
        if rid is None:
            return
        if response is None:
            # an error response ends its request; the stream itself may be gone, so the lane
            # is not reused
            lane.broken = True
            self._finish(lane, rid, at, error)
            return
        with self.lock:
            trace = self.traces.get(rid)
        if trace is None:
            return
        if response.output_names:
            trace.responses.append((at, _tokens(response)))
        if response.final:
            self._finish(lane, rid, at, None)

    def _finish(self, lane: _Lane, rid: str, at: float, error: str | None) -> None:
        with self.lock:
            trace = self.traces[rid]
            if trace.final_s is not None:
                return
            trace.final_s = at
            trace.error = error
            lane.rid = None
            if not lane.broken:
                self.idle.append(lane)
        self.finished.put(rid)

    def send(self, model: str, inputs: Sequence[Any], version: str = "") -> str:
        """Send one request to ``model``; its id (the key of its trace in ``traces``)."""
        with self.lock:
            lane = self.idle.pop() if self.idle else None
        if lane is None:
            lane = self._open_lane()
        with self.lock:
            rid = str(self.next_id)
            self.next_id += 1
            self.traces[rid] = Trace(sent_s=time.perf_counter(), model=model)
            lane.rid = rid
        assert lane.stream is not None  # a lane is handed out only once its stream is open
        lane.stream.send(model, inputs, version=version, request_id=rid)
        return rid

    def wait(self) -> str:
        """The id of the next request to finish (with its final response or an error)."""
        try:
            return self.finished.get(timeout=self.timeout_s)
        except queue.Empty as exc:
            raise ClientError(
                f"no request finished in {self.timeout_s:g} s at {self.address} — lower the "
                "output length or the load, or check the server log"
            ) from exc

    def close(self) -> None:
        with self.lock:
            lanes = list(self.lanes)
        for lane in lanes:
            lane.close()


def run_closed(
    stream: LlmStream,
    send: Callable[[], str],
    concurrency: int,
    *,
    duration_s: float | None = None,
    requests: int | None = None,
) -> list[str]:
    """Closed loop: ``concurrency`` requests in flight, a new one as each finishes, until
    ``duration_s`` has passed or ``requests`` were sent; returns the ids sent, in order."""
    end = time.perf_counter() + duration_s if duration_s is not None else math.inf
    limit = requests if requests is not None else math.inf
    sent: list[str] = []
    in_flight = 0
    while in_flight < concurrency and len(sent) < limit:
        sent.append(send())
        in_flight += 1
    while in_flight:
        stream.wait()
        in_flight -= 1
        if time.perf_counter() < end and len(sent) < limit:
            sent.append(send())
            in_flight += 1
    return sent


def run_open(stream: LlmStream, send: Callable[[], str], rate: float, count: int) -> list[str]:
    """Open loop: ``count`` requests at ``rate`` per second on a fixed schedule, whatever comes
    back; then every answer is awaited. Returns the ids sent, in order."""
    start = time.perf_counter()
    sent: list[str] = []
    for i in range(count):
        pause = start + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sent.append(send())
    for _ in sent:
        stream.wait()
    return sent


def served_config(
    address: str, model: str, version: str = "", headers: Mapping[str, str] | None = None
) -> ModelConfig:
    """The config the server loaded for ``model`` (auto-completed fields included)."""
    return read_served(
        address, model, protocol="grpc", version=version, error=ClientError, headers=headers
    )
