"""LLM figures from response timestamps, with GenAI-Perf's definitions (its README, "Metrics").

The timestamps are ``Trace``s recorded by ``tritonops.client.llm_stream``.

- time to first token (TTFT): from sending a request to receiving its first response that
  carries tokens, one value per request. Responses with no token (an empty final response) do not
  count, as GenAI-Perf/AIPerf disregard responses without content;
- inter-token latency (ITL): the time between two consecutive token-carrying responses of one
  request, divided by the number of tokens of the latter, one value per such pair;
- request latency: from sending a request to receiving its final response, one value per request;
- output sequence length: the tokens a request generated;
- output token throughput: every output token of the benchmark over its duration, and request
  throughput: completed requests over that duration; the duration runs from the first request
  sent to the last response received (GenAI-Perf's ``LLMProfileDataParser``).

Times are seconds in, milliseconds out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tritonops.client.llm_stream import Trace


@dataclass(frozen=True)
class Spread:
    """Percentiles and mean of one figure, ms (NaN when nothing was measured)."""

    p50: float
    p90: float
    p99: float
    avg: float
    count: int

    @classmethod
    def of(cls, values_s: Sequence[float]) -> Spread:
        if not values_s:
            nan = math.nan
            return cls(nan, nan, nan, nan, 0)
        ms = np.asarray(values_s, dtype=np.float64) * 1000.0
        p50, p90, p99 = (float(np.percentile(ms, q)) for q in (50, 90, 99))
        return cls(p50, p90, p99, float(ms.mean()), len(ms))


@dataclass(frozen=True)
class LlmLevel:
    """One load level of an LLM model."""

    load: float  # concurrency, or the offered request rate (req/s)
    prompt_length: int
    requests: int  # completed
    errors: int
    ttft: Spread
    itl: Spread
    request_latency: Spread
    output_tokens_per_request: float
    output_tokens_per_s: float
    requests_per_s: float
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize_traces(traces: Sequence[Trace], load: float, prompt_length: int) -> LlmLevel:
    """GenAI-Perf's figures over the completed requests of one level."""
    done = [t for t in traces if t.done and t.tokens > 0]
    errors = sum(1 for t in traces if t.error is not None)
    ttft = [v for t in done if (v := t.ttft_s()) is not None]
    itl = [gap for t in done for gap in t.itl_s()]
    latency = [t.final_s - t.sent_s for t in done if t.final_s is not None]
    tokens = sum(t.tokens for t in done)
    if done:
        start = min(t.sent_s for t in done)
        end = max(t.final_s for t in done if t.final_s is not None)
        duration = end - start
    else:
        duration = 0.0
    return LlmLevel(
        load=load,
        prompt_length=prompt_length,
        requests=len(done),
        errors=errors,
        ttft=Spread.of(ttft),
        itl=Spread.of(itl),
        request_latency=Spread.of(latency),
        output_tokens_per_request=tokens / len(done) if done else 0.0,
        output_tokens_per_s=tokens / duration if duration > 0 else 0.0,
        requests_per_s=len(done) / duration if duration > 0 else 0.0,
        duration_s=duration,
    )


def markdown(model: str, levels: Sequence[LlmLevel], load_kind: str) -> str:
    """The levels as a table: TTFT, ITL and request latency percentiles (ms), tokens/s."""
    head = "concurrency" if load_kind == "concurrency" else "rate (req/s)"
    lines = [
        f"# {model}: LLM streaming (GenAI-Perf figures)",
        "",
        f"| {head} | prompt | requests | TTFT p50 / p90 / p99 ms | ITL p50 / p90 / p99 ms "
        "| request p50 / p90 / p99 ms | output tokens/s | tokens/request |",
        "|---:|---:|---:|---|---|---|---:|---:|",
    ]

    def trio(s: Spread) -> str:
        return f"{s.p50:.2f} / {s.p90:.2f} / {s.p99:.2f}"

    for lv in levels:
        lines.append(
            f"| {lv.load:g} | {lv.prompt_length} | {lv.requests} | {trio(lv.ttft)} | "
            f"{trio(lv.itl)} | {trio(lv.request_latency)} | {lv.output_tokens_per_s:.1f} | "
            f"{lv.output_tokens_per_request:.1f} |"
        )
    return "\n".join(lines) + "\n"
