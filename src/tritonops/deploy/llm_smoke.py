"""The smoke of LLM models: a real generate request, text in and text out (or tokens in and out).

Two kinds of model are recognised from their served config:

- a text generator: input ``text_input``, output ``text_output``, and the length asked either
  by a ``max_tokens`` input (the TensorRT-LLM ensemble and BLS models) or inside the JSON of a
  ``sampling_parameters`` input (Triton's vLLM backend models);
- a ``tensorrtllm`` backend model: ``input_ids`` / ``request_output_len`` in, ``output_ids`` out.

A decoupled one is asked to stream over gRPC (``stream``/``streaming`` true where the model has
that input) and must send at least one response before its final flag; any other is asked once
over HTTP. Either way the answer must hold generated text (or tokens), or the smoke fails.
"""

from __future__ import annotations

import json
import queue
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from tritonops.errors import ClientError, DeployError
from tritonops.model_config import ModelConfig
from tritonops.triton.oneshot import infer_once
from tritonops.triton.requests import infer_inputs, requested_outputs
from tritonops.triton.streams import GrpcStream, StreamResponse

PROMPT = "what is the capital of france"
PROMPT_IDS = (1, 3, 4, 5, 6)  # small ids exist in every vocabulary
MAX_TOKENS = 8
_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Generated:
    """What the smoke request produced: the text (or token count), responses, and timings."""

    text: str
    tokens: int
    responses: int
    first_ms: float
    total_ms: float
    streamed: bool

    def detail(self) -> str:
        how = f"{self.responses} responses streamed over gRPC" if self.streamed else "one response"
        shown = f"{self.text!r}" if self.text else f"{self.tokens} token(s)"
        return f"generated {shown} ({how}, first after {self.first_ms:.0f} ms)"


def _names(config: ModelConfig) -> tuple[set[str], set[str]]:
    return {t.name for t in config.input}, {t.name for t in config.output}


def is_text_generator(config: ModelConfig) -> bool:
    inputs, outputs = _names(config)
    asks_length = "max_tokens" in inputs or "sampling_parameters" in inputs
    return "text_input" in inputs and asks_length and "text_output" in outputs


def is_trtllm_engine(config: ModelConfig) -> bool:
    inputs, outputs = _names(config)
    return (
        config.backend == "tensorrtllm"
        and {"input_ids", "request_output_len"} <= inputs
        and ("output_ids" in outputs)
    )


def is_llm(config: ModelConfig) -> bool:
    return is_text_generator(config) or is_trtllm_engine(config)


def _decoupled(config: ModelConfig) -> bool:
    policy = config.model_transaction_policy
    return bool(policy and policy.decoupled)


def request_arrays(config: ModelConfig, streaming: bool) -> dict[str, np.ndarray[Any, Any]]:
    """The request's arrays, with a batch axis when the model batches."""
    inputs, _ = _names(config)
    arrays: dict[str, np.ndarray[Any, Any]]
    if is_text_generator(config):
        arrays = {
            "text_input": np.array([PROMPT.encode()], dtype=np.object_),
            "max_tokens": np.array([MAX_TOKENS], dtype=np.int32),
            # vLLM's SamplingParams fields, as its Triton backend reads them from this JSON
            "sampling_parameters": np.array(
                [json.dumps({"max_tokens": MAX_TOKENS, "min_tokens": 1}).encode()],
                dtype=np.object_,
            ),
        }
        if "min_tokens" in inputs:  # an end token straight away would smoke nothing
            arrays["min_tokens"] = np.array([1], dtype=np.int32)
        if "stream" in inputs:
            arrays["stream"] = np.array([streaming], dtype=np.bool_)
    else:
        arrays = {
            "input_ids": np.array(PROMPT_IDS, dtype=np.int32),
            "input_lengths": np.array([len(PROMPT_IDS)], dtype=np.int32),
            "request_output_len": np.array([MAX_TOKENS], dtype=np.int32),
        }
        if "min_tokens" in inputs:
            arrays["min_tokens"] = np.array([1], dtype=np.int32)
        if "streaming" in inputs:
            arrays["streaming"] = np.array([streaming], dtype=np.bool_)
    arrays = {k: v for k, v in arrays.items() if k in inputs}
    if config.max_batch_size > 0:
        arrays = {k: v.reshape(1, *v.shape) for k, v in arrays.items()}
    return arrays


def _text(text: Any, lengths: Any) -> tuple[str, int]:
    """Generated text and token count from one response's ``text_output`` (a text model) or
    ``sequence_length`` (a token model)."""
    if text is not None:
        pieces = [p.decode() if isinstance(p, bytes) else str(p) for p in text.reshape(-1)]
        return "".join(pieces), 0
    return "", int(np.asarray(lengths).reshape(-1)[0]) if lengths is not None else 0


def smoke_generate(
    grpc_url: str, http_url: str, config: ModelConfig, version: str = ""
) -> Generated:
    """Send one generate request; DeployError when it fails or produces nothing."""
    streamed = _decoupled(config)
    arrays = request_arrays(config, streamed)
    outputs = ["text_output"] if is_text_generator(config) else ["output_ids", "sequence_length"]
    started = time.perf_counter()
    if streamed:
        got = _stream(grpc_url, config.name, version, arrays, outputs, started)
    else:
        got = _once(http_url, config.name, version, arrays, outputs, started)
    if not got.text.strip() and got.tokens == 0:
        raise DeployError(
            f"{config.name} answered a generate request ({PROMPT!r}, max_tokens {MAX_TOKENS}) "
            "with no text — check the engine, the end_id and the tokenizer's special tokens"
        )
    return got


def _once(
    url: str, model: str, version: str, arrays: dict[str, Any], outputs: list[str], t0: float
) -> Generated:
    answer = infer_once(
        url, model, arrays, outputs=outputs, error=DeployError, version=version,
        timeout_s=_TIMEOUT_S,
    )  # fmt: skip
    took = (time.perf_counter() - t0) * 1000
    got = answer.outputs
    text, tokens = _text(got.get("text_output"), got.get("sequence_length"))
    return Generated(text, tokens, 1, took, took, streamed=False)


def _stream(
    url: str, model: str, version: str, arrays: dict[str, Any], outputs: list[str], t0: float
) -> Generated:
    answers: queue.Queue[tuple[StreamResponse | None, str | None]] = queue.Queue()
    texts: list[str] = []
    tokens = responses = 0
    first = 0.0
    try:
        stream = GrpcStream(url, lambda response, error: answers.put((response, error)))
    except ClientError as exc:
        raise DeployError(str(exc)) from exc
    try:
        try:
            stream.send(
                model,
                infer_inputs("grpc", arrays),
                version=version,
                outputs=requested_outputs("grpc", outputs),
            )
        except ClientError as exc:
            raise DeployError(str(exc)) from exc
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            try:
                response, error = answers.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise DeployError(
                    f"{model} sent no final response within {_TIMEOUT_S:.0f} s of a generate "
                    "request"
                ) from None
            if response is None:
                raise DeployError(error or f"{model} ended its stream with an error")
            if response.output_names:
                responses += 1
                first = first or (time.perf_counter() - t0) * 1000
                text, count = _text(
                    response.array("text_output"), response.array("sequence_length")
                )
                texts.append(text)
                tokens += count
            if response.final:
                break
            if time.monotonic() > deadline:
                raise DeployError(f"{model} kept streaming past {_TIMEOUT_S:.0f} s")
    finally:
        stream.close()
    total = (time.perf_counter() - t0) * 1000
    return Generated("".join(texts), tokens, responses, first, total, streamed=True)
