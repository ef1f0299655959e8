"""A/B experiments between streaming LLM variants: TTFT, ITL, request latency and tokens/s.

Each request goes to one variant (weighted, seeded), streamed over gRPC like ``perf`` streams, and
every variant is measured at the same load, interleaved request by request. Per request the run
keeps GenAI-Perf's figures (``tritonops.perf.llm_metrics``): time to first token, its mean
inter-token latency, its request latency, and its time per output token (request latency over
output tokens, the inverse of GenAI-Perf's per-request output token throughput).

The verdict is the one ``tritonops.abtest.verdict`` gives, applied to four families — TTFT, ITL,
request latency, time per output token — each as "latency" samples with its own SLO limits:

- TTFT: ``slo.ttft_p50_ms`` / ``ttft_p95_ms`` / ``ttft_p99_ms``;
- ITL: ``slo.itl_p50_ms`` / ``itl_p95_ms`` / ``itl_p99_ms``;
- request latency: ``slo.p50_ms`` / ``p95_ms`` / ``p99_ms``;
- time per output token: ``slo.min_tokens_per_s`` becomes a p50 limit of 1000 / it ms per token
  (the median request streams at least that many tokens per second);

and ``slo.max_error_rate`` in each. Every family is tested at α / 4, so the chance of claiming a
difference that is not there stays at most α over the whole experiment (Bonferroni). A candidate's
decision is the most cautious of its four (rollback > hold > promote), with the reasons of each.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from tritonops.abtest.verdict import ArmSamples, Decision, Policy, Verdict, decide, worst
from tritonops.client.llm_stream import (
    LlmStream,
    Trace,
    is_llm,
    prompt_of,
    request_inputs,
    run_closed,
    run_open,
    served_config,
)
from tritonops.errors import ClientError, ExperimentError
from tritonops.spec import ExperimentSpec, SloSpec, load_project

FAMILIES = ("ttft", "itl", "request latency", "time per output token")
LLM_SLO_FIELDS = (
    "ttft_p50_ms",
    "ttft_p95_ms",
    "ttft_p99_ms",
    "itl_p50_ms",
    "itl_p95_ms",
    "itl_p99_ms",
    "min_tokens_per_s",
)


def has_llm_slo(experiment: ExperimentSpec) -> bool:
    return any(getattr(experiment.slo, name) is not None for name in LLM_SLO_FIELDS)


def llm_experiment(
    name: str, project_file: Path, url: str, headers: Mapping[str, str] | None = None
) -> ExperimentSpec | None:
    """The project's experiment ``name`` when it compares streaming LLM variants, else None
    (an unknown name is left to the usual run, which reports it). ``headers`` go with the
    config read that tells."""
    if not project_file.is_file():
        return None
    for spec in load_project(project_file).experiments:
        if spec.name == name:
            return spec if streams_llm(spec, url, headers) else None
    return None


def streams_llm(
    experiment: ExperimentSpec, url: str, headers: Mapping[str, str] | None = None
) -> bool:
    """Whether the experiment is one for ``run_llm_experiment``: it sets TTFT/ITL/tokens SLOs,
    or its control is a streaming LLM model on the server (gRPC)."""
    if has_llm_slo(experiment):
        return True
    control = experiment.variants[0]
    try:
        config = served_config(
            control.url or url, control.model, str(control.version or ""), headers
        )
    except ClientError:
        return False  # the usual run reports the unreachable server in its own words
    return is_llm(config)


@dataclass(frozen=True)
class LlmSample:
    """One request as the verdict sees it (ms; NaN where the request gave no value)."""

    variant: str
    ok: bool
    ttft_ms: float
    itl_ms: float
    latency_ms: float
    ms_per_token: float
    tokens: int
    error: str = ""


def sample_of(variant: str, trace: Trace) -> LlmSample:
    """A finished trace's figures; a request without tokens counts as failed."""
    ttft = trace.ttft_s()
    ok = trace.done and trace.tokens > 0 and ttft is not None and trace.final_s is not None
    if not ok or trace.final_s is None or ttft is None:
        error = trace.error or "no token came back"
        return LlmSample(variant, False, math.nan, math.nan, math.nan, math.nan, 0, error)
    gaps = trace.itl_s()
    latency = trace.final_s - trace.sent_s
    return LlmSample(
        variant,
        True,
        ttft * 1000,
        float(np.mean(gaps)) * 1000 if gaps else math.nan,
        latency * 1000,
        latency * 1000 / trace.tokens,
        trace.tokens,
    )


def _arm(name: str, samples: list[LlmSample], figure: str) -> ArmSamples:
    mine = [s for s in samples if s.variant == name]
    values = [getattr(s, figure) for s in mine if s.ok and not math.isnan(getattr(s, figure))]
    failed = sum(1 for s in mine if not s.ok)
    return ArmSamples(name, np.asarray(values, dtype=np.float64), len(mine), failed)


def _family_slo(family: str, slo: SloSpec) -> SloSpec:
    """The family's limits in the p50/p95/p99 words the shared verdict reads (each value was
    validated where the project file set it, so no validation runs again here)."""
    error = slo.max_error_rate
    if family == "ttft":
        limits = (slo.ttft_p50_ms, slo.ttft_p95_ms, slo.ttft_p99_ms)
    elif family == "itl":
        limits = (slo.itl_p50_ms, slo.itl_p95_ms, slo.itl_p99_ms)
    elif family == "request latency":
        limits = (slo.p50_ms, slo.p95_ms, slo.p99_ms)
    else:
        per_token = 1000 / slo.min_tokens_per_s if slo.min_tokens_per_s else None
        limits = (per_token, None, None)
    p50, p95, p99 = limits
    return SloSpec.model_construct(p50_ms=p50, p95_ms=p95, p99_ms=p99, max_error_rate=error)


_FIGURE = {
    "ttft": "ttft_ms",
    "itl": "itl_ms",
    "request latency": "latency_ms",
    "time per output token": "ms_per_token",
}


@dataclass(frozen=True)
class LlmVerdict:
    """One candidate against the control: the decision and each family's verdict."""

    candidate: str
    control: str
    decision: Decision
    families: dict[str, Verdict]

    @property
    def reasons(self) -> list[str]:
        return [f"{name}: {r}" for name, v in self.families.items() for r in v.reasons]


def llm_verdicts(
    experiment: ExperimentSpec,
    samples: list[LlmSample],
    policy: Policy | None = None,
    seed: int = 0,
) -> dict[str, LlmVerdict]:
    """Each candidate (every variant after the first) against the control, family by family."""
    rule = policy or Policy()
    per_family = replace(rule, alpha=rule.alpha / len(FAMILIES))
    names = [v.name for v in experiment.variants]
    control = names[0]
    out: dict[str, LlmVerdict] = {}
    for name in names[1:]:
        families = {
            family: decide(
                _arm(control, samples, _FIGURE[family]),
                _arm(name, samples, _FIGURE[family]),
                _family_slo(family, experiment.slo),
                experiment.min_samples,
                per_family,
                seed=seed,
            )
            for family in FAMILIES
        }
        decision = worst([v.decision for v in families.values()])
        out[name] = LlmVerdict(name, control, decision, families)
    return out


@dataclass(frozen=True)
class LlmExperimentResult:
    experiment: str
    decision: Decision
    verdicts: dict[str, LlmVerdict]
    samples: list[LlmSample] = field(repr=False)
    duration_s: float = 0.0
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {"promote": 0, "hold": 3, "rollback": 4}[self.decision]

    def arm_lines(self) -> list[str]:
        """Per variant: requests, errors, TTFT/ITL medians and tokens/s."""
        lines = []
        names = dict.fromkeys(s.variant for s in self.samples)
        for name in names:
            mine = [s for s in self.samples if s.variant == name]
            ok = [s for s in mine if s.ok]

            def median(figure: str, ok: list[LlmSample] = ok) -> float:
                values = [getattr(s, figure) for s in ok if not math.isnan(getattr(s, figure))]
                return float(np.median(values)) if values else math.nan

            per_token = median("ms_per_token")
            lines.append(
                f"  {name:<12} {len(mine):>5} req {len(mine) - len(ok):>4} err  "
                f"TTFT p50 {median('ttft_ms'):.2f} ms  ITL p50 {median('itl_ms'):.2f} ms  "
                f"{1000 / per_token if per_token else math.nan:.1f} tokens/s"
            )
        return lines


def run_llm_experiment(
    experiment: ExperimentSpec,
    *,
    url: str,
    requests: int | None = None,
    duration_s: float | None = None,
    concurrency: int | None = None,
    rate: float | None = None,
    prompt_length: int = 64,
    max_tokens: int = 16,
    seed: int = 0,
    report_dir: Path | None = None,
    policy: Policy | None = None,
    timeout_s: float = 60.0,
    headers: Mapping[str, str] | None = None,
) -> LlmExperimentResult:
    """Send streaming requests split over the variants by weight, then decide.

    The run ends after ``requests`` requests or ``duration_s`` seconds, whichever comes first
    (open loop: a duration is ``rate × duration_s`` requests on the schedule). ``headers`` go
    with every config read and stream; never into the report."""
    if experiment.shadow is not None:
        raise ExperimentError(
            f"experiment {experiment.name!r}: shadow traffic is not supported for streaming LLM "
            "variants — remove shadow"
        )
    if (concurrency is None) == (rate is None):
        raise ExperimentError("give exactly one of --concurrency (closed loop) or --rate")
    if duration_s is not None and duration_s <= 0:
        raise ExperimentError(f"the duration must be positive, not {duration_s:g} s")
    if requests is None and duration_s is None:
        raise ExperimentError("give requests, a duration or both to bound the run")
    weights = {v.name: v.weight for v in experiment.variants}
    total = sum(weights.values())
    if total <= 0:
        raise ExperimentError(f"experiment {experiment.name!r}: every variant has weight 0")
    # one stream carries every variant, so both are measured interleaved at the same load
    elsewhere = [v.name for v in experiment.variants if v.url not in (None, url)]
    if elsewhere:
        raise ExperimentError(
            f"variant(s) {', '.join(elsewhere)} of {experiment.name!r} name another server: LLM "
            "variants are compared on one Triton — serve both there and drop their url"
        )
    inputs: dict[str, list[Any]] = {}
    models: dict[str, tuple[str, str]] = {}
    stream: LlmStream | None = None
    try:
        for variant in experiment.variants:
            config = served_config(url, variant.model, str(variant.version or ""), headers)
            if not is_llm(config):
                raise ExperimentError(
                    f"variant {variant.name!r}: {variant.model!r} is not a streaming LLM model "
                    "(decoupled, with a string text_input) — TTFT/ITL need one"
                )
            inputs[variant.name] = request_inputs(config, prompt_of(prompt_length), max_tokens)
            models[variant.name] = (variant.model, str(variant.version or ""))
        stream = LlmStream(url, timeout_s, headers)
        rng = np.random.default_rng(seed)
        names = list(weights)
        shares = np.array([weights[n] / total for n in names])
        chosen: dict[str, str] = {}

        def send() -> str:
            name = names[int(rng.choice(len(names), p=shares))]
            rid = stream.send(models[name][0], inputs[name], models[name][1])
            chosen[rid] = name
            return rid

        for name in names:  # warm-up: one unmeasured request per variant
            if weights[name] > 0:
                stream.send(models[name][0], inputs[name], models[name][1])
                stream.wait()
        clock = time.perf_counter()
        if rate is not None:
            scheduled = math.inf if duration_s is None else max(1, int(rate * duration_s))
            sent = run_open(stream, send, rate, int(min(requests or math.inf, scheduled)))
        else:
            assert concurrency is not None
            sent = run_closed(stream, send, concurrency, requests=requests, duration_s=duration_s)
        duration = time.perf_counter() - clock
        samples = [sample_of(chosen[r], stream.traces[r]) for r in sent]
    except ClientError as exc:
        raise ExperimentError(str(exc)) from exc
    finally:
        if stream is not None:
            stream.close()
    if not any(s.ok for s in samples):
        first = next((s.error for s in samples), "no request was sent")
        raise ExperimentError(f"every request failed: {first}")
    found = llm_verdicts(experiment, samples, policy, seed)
    decision = worst([v.decision for v in found.values()])
    result = LlmExperimentResult(experiment.name, decision, found, samples, duration)
    if report_dir is not None:
        result = replace(result, files=write_llm_report(result, report_dir))
    return result


def write_llm_report(result: LlmExperimentResult, directory: Path) -> dict[str, Path]:
    """``llm-report.json`` (every request and every verdict) and ``llm-report.md``."""
    directory.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "experiment": result.experiment,
        "decision": result.decision,
        "duration_s": result.duration_s,
        "verdicts": {
            name: {
                "control": v.control,
                "decision": v.decision,
                "families": {
                    family: {"decision": fv.decision, "reasons": fv.reasons}
                    for family, fv in v.families.items()
                },
            }
            for name, v in result.verdicts.items()
        },
        "samples": [_jsonable(asdict(s)) for s in result.samples],
    }
    json_path = directory / "llm-report.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    md_path = directory / "llm-report.md"
    lines = [f"# {result.experiment}: {result.decision.upper()}", "", *result.arm_lines(), ""]
    for v in result.verdicts.values():
        lines.append(f"## {v.candidate} vs {v.control}: {v.decision}")
        lines += [f"- {r}" for r in v.reasons]
    md_path.write_text("\n".join(lines) + "\n")
    return {"json": json_path, "markdown": md_path}


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
