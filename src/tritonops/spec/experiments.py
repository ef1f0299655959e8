"""A/B experiments as the project file declares them (run later by ``abtest``)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from tritonops.spec.fields import Count, Fraction, Millis, NonEmpty, SpecModel, Version


def _shadow_shorthand_schema(schema: dict[str, Any]) -> None:
    # ``shadow: candidate`` is read as {variant: candidate} (``ExperimentSpec._shadow_shorthand``)
    options = schema.get("anyOf")
    if isinstance(options, list):
        options.insert(0, {"type": "string", "minLength": 1, "description": "a variant's name"})


class VariantSpec(SpecModel):
    """One arm of an experiment: a model version that receives ``weight`` of the traffic."""

    name: NonEmpty = Field(
        description="The variant's name in reports and routing decisions.", examples=["control"]
    )
    model: NonEmpty = Field(
        description="The model or ensemble of this project that serves the variant.",
        examples=["pipeline_v1"],
    )
    version: Version | None = Field(
        default=None,
        description="The model version to call; unset: the newest version the server serves.",
        examples=[2],
    )
    weight: float = Field(
        default=1.0,
        ge=0,
        description="Relative share of traffic (weights need not sum to 1 or 100).",
        examples=[90],
    )
    url: str | None = Field(
        default=None,
        description="Another Triton endpoint serving this variant; unset: the experiment's"
        " target server.",
        examples=["grpc://canary.internal:8001"],
    )


class ShadowSpec(SpecModel):
    """Traffic mirrored to a variant or a model whose answers are recorded, never returned.

    Written either as a variant name (``shadow: candidate``) or ``{model, version}``.
    """

    variant: NonEmpty | None = Field(
        default=None,
        description="A variant of this experiment whose answers are recorded, not returned.",
        examples=["candidate"],
    )
    model: NonEmpty | None = Field(
        default=None,
        description="A model of this project to mirror traffic to (instead of variant).",
        examples=["pipeline_v2"],
    )
    version: Version | None = Field(
        default=None, description="The shadow model's version (with model only).", examples=[2]
    )

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

    p50_ms: Millis | None = Field(
        default=None, description="Highest median latency allowed, in ms.", examples=[20]
    )
    p95_ms: Millis | None = Field(
        default=None, description="Highest 95th-percentile latency allowed, in ms.", examples=[50]
    )
    p99_ms: Millis | None = Field(
        default=None,
        description="Highest 99th-percentile latency allowed, in ms.",
        examples=[100],
    )
    max_error_rate: Fraction | None = Field(
        default=None,
        description="Highest share of failed requests allowed (0..1).",
        examples=[0.01],
    )
    min_accuracy: Fraction | None = Field(
        default=None,
        description="Lowest accuracy against the dataset's labels (0..1); needs labels.",
        examples=[0.9],
    )


class ExperimentSpec(SpecModel):
    """Weighted (optionally sticky) traffic over variants, judged against an SLO."""

    name: NonEmpty = Field(
        description="The experiment's name, as given to tritonops ab-test.",
        examples=["digits-v2"],
    )
    variants: list[VariantSpec] = Field(
        examples=[
            [
                {"name": "control", "model": "pipeline_v1", "weight": 90},
                {"name": "candidate", "model": "pipeline_v2", "weight": 10},
            ]
        ],
        min_length=2,
        description="The arms compared; the first one is the control.",
    )
    sticky_key: NonEmpty | None = Field(
        default=None,
        description="Request attribute whose value pins a caller to one variant (hashed).",
        examples=["user_id"],
    )
    shadow: ShadowSpec | None = Field(
        default=None,
        description="Mirror every request to a variant or model; its answers are recorded"
        " and compared, never returned. A bare string names a variant.",
        examples=["candidate", {"model": "pipeline_v2"}],
        json_schema_extra=_shadow_shorthand_schema,
    )
    slo: SloSpec = Field(
        default_factory=SloSpec,
        description="The limits each candidate is judged against (latency, errors, accuracy).",
        examples=[{"p99_ms": 100, "max_error_rate": 0.01}],
    )
    min_samples: Count = Field(
        default=200,
        description="Requests each variant needs before a verdict is drawn.",
        examples=[500],
    )
    dataset: str | None = Field(
        default=None,
        description="Requests to send: a .npz (one array per input) or .jsonl file (one"
        " request per line), relative to the project file; unset: random inputs.",
        examples=["data/holdout.npz"],
    )
    labels: NonEmpty | None = Field(
        default=None,
        description="The npz array or jsonl key holding each request's expected answer.",
        examples=["label"],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "arms": "the project file says 'variants'",
        "sticky": "the project file says 'sticky_key' (the request key that pins a user)",
    }

    @field_validator("shadow", mode="before")
    @classmethod
    def _shadow_shorthand(cls, value: Any) -> Any:
        return {"variant": value} if isinstance(value, str) else value
