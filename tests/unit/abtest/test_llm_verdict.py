"""LLM variants judged with the shared verdict, family by family, on synthetic request samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tritonops.abtest.llm import FAMILIES, LlmSample, llm_verdicts, sample_of
from tritonops.client.llm_stream import Trace
from tritonops.spec import ExperimentSpec, SloSpec, VariantSpec


def experiment(**slo: float) -> ExperimentSpec:
    return ExperimentSpec(
        name="trt-vs-vllm",
        variants=[VariantSpec(name="trt", model="a"), VariantSpec(name="vllm", model="b")],
        slo=SloSpec(**slo),
        min_samples=100,
    )


def arm(name: str, n: int, rng: np.random.Generator, ttft: float = 20.0, itl: float = 2.0,
        tokens: int = 16) -> list[LlmSample]:  # fmt: skip
    out = []
    for _ in range(n):
        first = rng.normal(ttft, ttft * 0.05)
        gap = rng.normal(itl, itl * 0.05)
        latency = first + gap * (tokens - 1)
        out.append(LlmSample(name, True, first, gap, latency, latency / tokens, tokens))
    return out


def test_the_same_engine_is_never_called_different() -> None:
    rng = np.random.default_rng(1)
    samples = arm("trt", 300, rng) + arm("vllm", 300, rng)
    verdict = llm_verdicts(experiment(), samples)["vllm"]
    assert verdict.decision in ("promote", "hold")
    assert set(verdict.families) == set(FAMILIES)
    assert not any(v.claims_difference for v in verdict.families.values())


def test_a_slower_first_token_rolls_the_candidate_back_with_the_ttft_reason() -> None:
    rng = np.random.default_rng(2)
    samples = arm("trt", 300, rng) + arm("vllm", 300, rng, ttft=40.0)
    verdict = llm_verdicts(experiment(), samples)["vllm"]
    assert verdict.decision == "rollback"
    assert verdict.families["ttft"].decision == "rollback"
    assert verdict.families["itl"].decision != "rollback"
    assert any(r.startswith("ttft: significantly worse: latency p50") for r in verdict.reasons)


def test_a_faster_candidate_is_promoted() -> None:
    rng = np.random.default_rng(3)
    samples = arm("trt", 300, rng) + arm("vllm", 300, rng, ttft=10.0, itl=1.0)
    assert llm_verdicts(experiment(), samples)["vllm"].decision == "promote"


@pytest.mark.parametrize(
    ("slo", "family"),
    [
        ({"ttft_p99_ms": 15.0}, "ttft"),
        ({"itl_p50_ms": 1.0}, "itl"),
        ({"p95_ms": 30.0}, "request latency"),
        ({"min_tokens_per_s": 1000.0}, "time per output token"),
    ],
)
def test_an_slo_breach_is_a_rollback_in_its_family(slo: dict[str, float], family: str) -> None:
    rng = np.random.default_rng(4)
    samples = arm("trt", 300, rng) + arm("vllm", 300, rng)
    verdict = llm_verdicts(experiment(**slo), samples)["vllm"]
    assert verdict.decision == "rollback"
    assert verdict.families[family].breaches
    assert [f for f, v in verdict.families.items() if v.breaches] == [family]


def test_tokens_per_second_slo_is_met_by_a_fast_stream() -> None:
    rng = np.random.default_rng(5)
    samples = arm("trt", 300, rng) + arm("vllm", 300, rng)
    # ~3.1 ms per token is ~320 tokens/s: a floor of 200 tokens/s holds
    verdict = llm_verdicts(experiment(min_tokens_per_s=200.0), samples)["vllm"]
    assert not verdict.families["time per output token"].breaches


def test_too_few_requests_hold() -> None:
    rng = np.random.default_rng(6)
    samples = arm("trt", 30, rng) + arm("vllm", 30, rng, ttft=80.0)
    verdict = llm_verdicts(experiment(), samples)["vllm"]
    assert verdict.decision == "hold"
    assert "not enough samples" in verdict.reasons[0]


def test_a_trace_becomes_a_sample_and_a_tokenless_one_a_failure() -> None:
    trace = Trace(sent_s=0.0, responses=[(0.010, 1), (0.012, 1), (0.016, 1)], final_s=0.016)
    sample = sample_of("trt", trace)
    assert sample.ok
    assert sample.ttft_ms == pytest.approx(10.0)
    assert sample.itl_ms == pytest.approx(3.0)
    assert sample.ms_per_token == pytest.approx(16.0 / 3)
    empty = sample_of("trt", Trace(sent_s=0.0, responses=[(0.01, 0)], final_s=0.01))
    assert not empty.ok
    assert math.isnan(empty.ttft_ms)
    failed = sample_of("trt", Trace(sent_s=0.0, final_s=0.01, error="boom"))
    assert (failed.ok, failed.error) == (False, "boom")


def test_llm_slos_parse_in_the_project_file() -> None:
    slo = SloSpec.model_validate({"ttft_p99_ms": 200, "itl_p50_ms": 20, "min_tokens_per_s": 30})
    assert (slo.ttft_p99_ms, slo.itl_p50_ms, slo.min_tokens_per_s) == (200, 20, 30)
    with pytest.raises(ValueError, match="greater than 0"):
        SloSpec.model_validate({"ttft_p50_ms": 0})
