"""GenAI-Perf's LLM figures on synthetic timestamp streams (times in seconds, results in ms)."""

from __future__ import annotations

import math

import pytest

from tritonops.client.llm_stream import Trace
from tritonops.model_config import DataType, ModelConfig, ModelInput, TransactionPolicy
from tritonops.perf.llm import is_llm, prompt_of
from tritonops.perf.llm_metrics import Spread, markdown, summarize_traces


def trace(sent: float, responses: list[tuple[float, int]], final: float | None = None) -> Trace:
    last = responses[-1][0] if responses else sent
    return Trace(sent_s=sent, responses=responses, final_s=last if final is None else final)


def test_ttft_is_the_first_response_that_carries_tokens() -> None:
    # an empty first response (no token) does not end the wait for the first token
    t = trace(1.0, [(1.010, 0), (1.050, 1), (1.060, 1)])
    assert t.ttft_s() == pytest.approx(0.050)


def test_itl_is_each_gap_over_the_tokens_of_the_latter_response() -> None:
    t = trace(0.0, [(0.100, 1), (0.120, 1), (0.180, 3), (0.190, 0)])
    # 20 ms for one token, then 60 ms for three tokens; the empty final response adds no gap
    assert t.itl_s() == pytest.approx([0.020, 0.020])


def test_a_level_summarizes_completed_requests() -> None:
    traces = [
        trace(0.0, [(0.010, 1), (0.012, 1), (0.014, 1)]),
        trace(0.0, [(0.030, 1), (0.034, 1), (0.038, 1)]),
        Trace(sent_s=0.0, responses=[(0.005, 1)], final_s=0.006, error="boom"),
    ]
    level = summarize_traces(traces, load=2, prompt_length=8)
    assert (level.requests, level.errors) == (2, 1)
    assert level.ttft.p50 == pytest.approx(20.0)  # median of 10 and 30 ms
    assert level.ttft.count == 2
    assert level.itl.avg == pytest.approx(3.0)  # gaps 2, 2, 4, 4 ms
    assert level.itl.count == 4
    assert level.request_latency.p50 == pytest.approx(26.0)  # 14 and 38 ms
    # six tokens between the first send (0 s) and the last response (38 ms)
    assert level.duration_s == pytest.approx(0.038)
    assert level.output_tokens_per_s == pytest.approx(6 / 0.038)
    assert level.requests_per_s == pytest.approx(2 / 0.038)
    assert level.output_tokens_per_request == 3


def test_percentiles_order_and_empty_levels() -> None:
    spread = Spread.of([0.001 * i for i in range(1, 101)])
    assert spread.p50 <= spread.p90 <= spread.p99
    empty = summarize_traces([], load=1, prompt_length=1)
    assert empty.requests == 0
    assert math.isnan(empty.ttft.p50)
    assert empty.output_tokens_per_s == 0.0


def test_markdown_shows_ttft_and_itl_percentiles() -> None:
    level = summarize_traces([trace(0.0, [(0.010, 1), (0.012, 1)])], load=1, prompt_length=8)
    text = markdown("chat", [level], "concurrency")
    assert "TTFT p50 / p90 / p99 ms" in text
    assert "| 1 | 8 | 1 | 10.00 / 10.00 / 10.00 | 2.00 / 2.00 / 2.00 |" in text


def test_an_llm_model_is_decoupled_with_a_string_text_input() -> None:
    text = ModelInput(name="text_input", data_type=DataType.TYPE_STRING, dims=[1])
    decoupled = TransactionPolicy(decoupled=True)
    assert is_llm(ModelConfig(name="m", input=[text], model_transaction_policy=decoupled))
    assert not is_llm(ModelConfig(name="m", input=[text]))
    ids = ModelInput(name="input_ids", data_type=DataType.TYPE_INT32, dims=[-1])
    assert not is_llm(ModelConfig(name="m", input=[ids], model_transaction_policy=decoupled))


def test_prompts_have_the_asked_number_of_words() -> None:
    assert len(prompt_of(512).split()) == 512
    assert prompt_of(3) == "hello world the"
