"""Service level objectives: what a model, an ensemble or an experiment's variant must meet.

One type serves both places. Under a model or ensemble (``slo:``) it drives the Prometheus
recording and alert rules of ``tritonops.monitoring`` (Triton's per-model metrics); under an
experiment the A/B verdict and the canary ramp judge each variant against it. Latency limits are
request times as Triton measures them (``nv_inference_request_duration_us`` and its summary), in
milliseconds; ``max_error_rate`` is the error budget: failed / all requests, over a 30-day period
for the burn-rate alerts.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from tritonops.spec.fields import SpecModel


def _plain_number(unit: str) -> Any:
    def check(value: Any) -> Any:
        # YAML reads `yes`/`true` as a boolean and `40ms` as text: neither is a limit
        if isinstance(value, bool):
            raise ValueError(f"YAML read this as {str(value).lower()} — write a number of {unit}")
        if isinstance(value, str):
            raise ValueError(
                f"{value!r} is text — write a plain number of {unit}, without unit or quotes"
            )
        return value

    return BeforeValidator(check)


Millis = Annotated[float, _plain_number("milliseconds, e.g. 40"), Field(gt=0)]
Ratio = Annotated[float, _plain_number("the ratio, e.g. 0.001 for 0.1 %"), Field(ge=0, le=1)]
PerSecond = Annotated[float, _plain_number("requests per second, e.g. 20"), Field(gt=0)]

# the quantiles a latency limit names, in order: a lower quantile cannot sit above a higher one
LATENCY_QUANTILES: tuple[tuple[str, float], ...] = (
    ("p50_ms", 0.5),
    ("p95_ms", 0.95),
    ("p99_ms", 0.99),
)


class Slo(SpecModel):
    """Limits a model (or an experiment's variant) must stay within.

    ``min_throughput_rps``: successful requests per second the model must keep serving (summed
    over every replica). ``queue_p99_ms``: the 99th percentile of the time a request waits in
    Triton's scheduler queue. ``min_accuracy`` is judged only by experiments, which hold labels.
    """

    p50_ms: Millis | None = Field(
        default=None, description="Highest median request latency allowed, in ms.", examples=[20]
    )
    p95_ms: Millis | None = Field(
        default=None, description="Highest 95th-percentile latency allowed, in ms.", examples=[50]
    )
    p99_ms: Millis | None = Field(
        default=None, description="Highest 99th-percentile latency allowed, in ms.", examples=[100]
    )
    max_error_rate: Ratio | None = Field(
        default=None,
        description="Highest share of failed requests allowed (0..1): the error budget.",
        examples=[0.001],
    )
    min_throughput_rps: PerSecond | None = Field(
        default=None,
        description="Successful requests per second the model must keep serving, over every"
        " replica (model and ensemble SLOs only).",
        examples=[20],
    )
    queue_p99_ms: Millis | None = Field(
        default=None,
        description="Highest 99th-percentile wait in Triton's scheduler queue, in ms (model and"
        " ensemble SLOs only).",
        examples=[5],
    )
    min_accuracy: Ratio | None = Field(
        default=None,
        description="Lowest accuracy against the dataset's labels (0..1); experiments only.",
        examples=[0.9],
    )

    @model_validator(mode="after")
    def _quantiles_in_order(self) -> Slo:
        given = [(key, getattr(self, key)) for key, _ in LATENCY_QUANTILES]
        set_ = [(key, value) for key, value in given if value is not None]
        for (low_key, low), (high_key, high) in itertools.pairwise(set_):
            if low > high:
                raise ValueError(
                    f"{low_key} ({low:g}) is above {high_key} ({high:g}), which no latency"
                    f" distribution allows — raise {high_key} or lower {low_key}"
                )
        return self

    @property
    def latency_limits(self) -> list[tuple[float, float]]:
        """``(quantile, limit_ms)`` for every latency limit set, lowest quantile first."""
        return [(q, getattr(self, key)) for key, q in LATENCY_QUANTILES if getattr(self, key)]

    @property
    def watched(self) -> bool:
        """Whether any limit here can be watched from Triton's metrics (all but accuracy)."""
        return bool(
            self.latency_limits
            or self.max_error_rate is not None
            or self.min_throughput_rps is not None
            or self.queue_p99_ms is not None
        )


class ModelSlo(Slo):
    """A model's or an ensemble's SLO: accuracy needs labels, which only experiments hold."""

    @model_validator(mode="after")
    def _no_accuracy(self) -> ModelSlo:
        if self.min_accuracy is not None:
            raise ValueError(
                "min_accuracy needs labelled requests, which only an experiment has"
                " — move it to the experiment's slo"
            )
        return self


class ExperimentSlo(Slo):
    """An experiment's SLO, judged per variant on the experiment's own traffic.

    The verdict and the ramp measure latency, errors and accuracy per variant; a throughput floor
    and a queue-time limit are watched only by the model's alert rules, so they belong there.
    The ``ttft_*``, ``itl_*`` and ``min_tokens_per_s`` limits are for streaming LLM variants
    (GenAI-Perf's figures, judged by ``tritonops.abtest.llm``).
    """

    ttft_p50_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest median time to first token, in ms.",
        examples=[200],
    )
    ttft_p95_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest 95th-percentile time to first token, in ms.",
        examples=[400],
    )
    ttft_p99_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest 99th-percentile time to first token, in ms.",
        examples=[500],
    )
    itl_p50_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest median inter-token latency, in ms.",
        examples=[20],
    )
    itl_p95_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest 95th-percentile inter-token latency, in ms.",
        examples=[50],
    )
    itl_p99_ms: Millis | None = Field(
        default=None,
        description="Streaming LLM variants: highest 99th-percentile inter-token latency, in ms.",
        examples=[100],
    )
    min_tokens_per_s: PerSecond | None = Field(
        default=None,
        description="Streaming LLM variants: lowest output tokens/s of the median request.",
        examples=[20],
    )

    @model_validator(mode="after")
    def _no_fleet_limits(self) -> ExperimentSlo:
        if self.min_throughput_rps is not None:
            raise ValueError(
                "min_throughput_rps is a floor for the whole model, but an experiment splits"
                " traffic between variants — set it under the model's slo"
            )
        if self.queue_p99_ms is not None:
            raise ValueError(
                "queue_p99_ms is watched by the model's alert rules, not by an experiment's"
                " verdict — set it under the model's slo"
            )
        return self
