"""A/B experiments as the project file declares them (run later by ``abtest``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from tritonops.spec.fields import Count, Fraction, Millis, NonEmpty, SpecModel, Version


class VariantSpec(SpecModel):
    """One arm of an experiment: a model version that receives ``weight`` of the traffic."""

    name: NonEmpty
    model: NonEmpty
    version: Version | None = None
    weight: float = Field(default=1.0, ge=0)
    # another Triton endpoint serving this variant; the experiment's target when absent
    url: str | None = None


class ShadowSpec(SpecModel):
    """Traffic mirrored to a variant or a model whose answers are recorded, never returned.

    Written either as a variant name (``shadow: candidate``) or ``{model, version}``.
    """

    variant: NonEmpty | None = None
    model: NonEmpty | None = None
    version: Version | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ShadowSpec:
        if (self.variant is None) == (self.model is None):
            raise ValueError(
                "a shadow names either a variant or a model"
                " — write 'shadow: <variant>' or 'shadow: {model: m, version: 2}'"
            )
        if self.variant is not None and self.version is not None:
            raise ValueError(
                "a shadow variant already has its version — drop 'version' or name a model"
            )
        return self


class SloSpec(SpecModel):
    """Limits a variant must stay within to be promoted."""

    p50_ms: Millis | None = None
    p95_ms: Millis | None = None
    p99_ms: Millis | None = None
    max_error_rate: Fraction | None = None
    min_accuracy: Fraction | None = None
    # streaming LLM variants (GenAI-Perf's figures; see tritonops.abtest.llm)
    ttft_p50_ms: Millis | None = None
    ttft_p95_ms: Millis | None = None
    ttft_p99_ms: Millis | None = None
    itl_p50_ms: Millis | None = None
    itl_p95_ms: Millis | None = None
    itl_p99_ms: Millis | None = None
    min_tokens_per_s: Millis | None = None  # median per-request output tokens/s


class ExperimentSpec(SpecModel):
    """Weighted (optionally sticky) traffic over variants, judged against an SLO."""

    name: NonEmpty
    variants: list[VariantSpec] = Field(min_length=2)
    sticky_key: NonEmpty | None = None
    shadow: ShadowSpec | None = None
    slo: SloSpec = Field(default_factory=SloSpec)
    min_samples: Count = 200
    # an .npz or .jsonl file of requests (and labels), relative to the project file
    dataset: str | None = None
    # the key (jsonl) or array (npz) holding the expected answer
    labels: NonEmpty | None = None

    extra_key_hints: ClassVar[dict[str, str]] = {
        "arms": "the project file says 'variants'",
        "sticky": "the project file says 'sticky_key' (the request key that pins a user)",
    }

    @field_validator("shadow", mode="before")
    @classmethod
    def _shadow_shorthand(cls, value: Any) -> Any:
        return {"variant": value} if isinstance(value, str) else value
