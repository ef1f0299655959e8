"""``perf`` on an LLM model: streaming requests over one gRPC stream, timed per response.

A model counts as an LLM when it is decoupled and takes a ``text_input`` string (Triton's vLLM
backend, a TensorRT-LLM ensemble or BLS). Each request asks for ``max_tokens`` tokens after a
prompt of ``prompt_length`` words (one token per word on the stand-in tokenizers), with
streaming on, so every token arrives as its own response. Closed loop keeps ``concurrency``
requests in flight; open loop sends ``rate`` requests per second on a fixed schedule whatever
comes back. Figures: ``tritonops.perf.llm_metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tritonops.client.llm_stream import (
    LlmStream,
    is_llm,
    prompt_of,
    request_inputs,
    run_closed,
    run_open,
)
from tritonops.errors import ClientError, PerfError
from tritonops.model_config import ModelConfig
from tritonops.perf.llm_metrics import LlmLevel, summarize_traces

__all__ = ["LlmSpec", "is_llm", "measure_llm", "prompt_of"]


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
    # gRPC metadata on every stream; never shown
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


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
    loads: list[float] = list(spec.rates) or [float(c) for c in spec.concurrency]
    bad = [load for load in loads if load <= 0]
    if bad or not loads:
        raise PerfError(f"load levels must be above 0 (got {loads})")
    inputs = request_inputs(config, prompt_of(spec.prompt_length), spec.max_tokens)
    levels: list[LlmLevel] = []
    try:
        stream = LlmStream(spec.address, spec.timeout_s, spec.headers)
    except ClientError as exc:
        raise PerfError(str(exc)) from exc
    try:

        def send() -> str:
            return stream.send(spec.model, inputs)

        for _ in range(spec.warmup_requests):
            send()
            stream.wait()
        for load in loads:
            if spec.rates:
                sent = run_open(stream, send, load, count=max(1, int(load * spec.duration_s)))
            else:
                sent = run_closed(stream, send, int(load), duration_s=spec.duration_s)
            traces = [stream.traces[r] for r in sent]
            failed = [t.error for t in traces if t.error is not None]
            if failed and len(failed) == len(traces):
                raise PerfError(f"every request to {spec.model!r} failed: {failed[0]}")
            level = summarize_traces(traces, load, spec.prompt_length)
            levels.append(level)
            if on_level is not None:
                on_level(level)
    except ClientError as exc:
        raise PerfError(str(exc)) from exc
    finally:
        stream.close()
    return levels
