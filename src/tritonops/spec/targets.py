"""Where the repository goes: a local embedded server, a remote Triton, or Kubernetes."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from tritonops.headers import header_problem
from tritonops.spec.fields import (
    Count,
    Millis,
    NonEmpty,
    Port,
    Positive,
    Quantity,
    SpecModel,
    VersionText,
)

DEFAULT_IMAGE = "nvcr.io/nvidia/tritonserver:24.10-py3"
_REPOSITORY_URI = re.compile(r"(s3://|gs://)[^/\s]+(/\S*)?\Z|pvc:[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


class LocalTarget(SpecModel):
    """The embedded tritonserver (or another binary named by ``tritonserver``)."""

    http_port: Port | None = Field(
        default=None,
        description="HTTP port of the local server; unset: a free port.",
        examples=[8000],
    )
    grpc_port: Port | None = Field(
        default=None,
        description="gRPC port of the local server; unset: a free port.",
        examples=[8001],
    )
    metrics_port: Port | None = Field(
        default=None,
        description="Prometheus metrics port of the local server; unset: a free port.",
        examples=[8002],
    )
    tritonserver: str | None = Field(
        default=None,
        description="Path of another tritonserver binary to run; unset: the embedded one.",
        examples=["/opt/tritonserver/bin/tritonserver"],
    )

    @model_validator(mode="after")
    def _distinct_ports(self) -> LocalTarget:
        ports = [p for p in (self.http_port, self.grpc_port, self.metrics_port) if p is not None]
        if len(ports) != len(set(ports)):
            raise ValueError("http_port, grpc_port and metrics_port must differ — pick free ports")
        return self


class RemoteTarget(SpecModel):
    """A running Triton started with ``--model-control-mode=explicit``."""

    url: NonEmpty = Field(
        description="The server's address, host:port of the chosen protocol.",
        examples=["triton.internal:8000"],
    )
    protocol: Literal["http", "grpc"] = Field(
        default="http", description="Protocol of the repository API calls.", examples=["grpc"]
    )
    ssl: bool = Field(
        default=False, description="Use TLS (https, or gRPC over TLS).", examples=[True]
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Headers sent with every call (e.g. authorization for a gateway).",
        examples=[{"x-api-key": "..."}],
    )
    model_control: Literal["explicit"] = Field(
        examples=["explicit"],
        default="explicit",
        description="The server's model control mode; tritonops loads and unloads models"
        " itself, so only explicit works.",
    )

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            problem = header_problem(name, text)
            if problem is not None:
                raise ValueError(problem)
        return value


class Resources(SpecModel):
    """Per-replica requests and limits, in Kubernetes quantities (``2``, ``500m``, ``8Gi``)."""

    cpu: Quantity | None = Field(
        default=None, description="CPU per replica (cores or millicores).", examples=["2", "500m"]
    )
    memory: Quantity | None = Field(
        default=None, description="Memory per replica.", examples=["8Gi"]
    )
    gpu: Count | None = Field(
        default=None, description="NVIDIA GPUs per replica (nvidia.com/gpu).", examples=[1]
    )


class Autoscaling(SpecModel):
    """A horizontal autoscaler driven by Triton's queue time."""

    min: Positive = Field(default=1, description="Fewest replicas.", examples=[1])
    max: Positive = Field(default=1, description="Most replicas.", examples=[4])
    target_queue_ms: Millis | None = Field(
        default=None,
        description="Average queue time per request, in ms, that the autoscaler aims for.",
        examples=[20],
    )

    @model_validator(mode="after")
    def _ordered(self) -> Autoscaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) exceeds max ({self.max}) — raise max or lower min")
        return self


class KubernetesTarget(SpecModel):
    """Rendered manifests: a Deployment (or KServe InferenceService), a Service, an autoscaler."""

    namespace: NonEmpty = Field(
        default="default", description="Namespace of every rendered object.", examples=["models"]
    )
    image: NonEmpty = Field(
        examples=["nvcr.io/nvidia/tritonserver:24.10-py3"],
        default=DEFAULT_IMAGE,
        description="The Triton container image; its tag also picks the Triton release that"
        " validate checks against.",
    )
    replicas: Positive = Field(
        default=1, description="Replicas when no autoscaling is set.", examples=[2]
    )
    repository_uri: str | None = Field(
        default=None,
        description="Where the pods read the model repository: s3://bucket/path,"
        " gs://bucket/path or pvc:<claim-name>. Copy the rendered repository there yourself;"
        " required to render manifests.",
        examples=["s3://my-bucket/models", "pvc:model-repository"],
    )
    resources: Resources | None = Field(
        default=None,
        description="Requests and limits per replica.",
        examples=[{"cpu": "2", "memory": "4Gi"}],
    )
    autoscaling: Autoscaling | None = Field(
        default=None,
        description="A HorizontalPodAutoscaler on Triton's queue time.",
        examples=[{"min": 1, "max": 4, "target_queue_ms": 20}],
    )
    kserve: bool = Field(
        examples=[True],
        default=False,
        description="Render a KServe InferenceService instead of a Deployment and Service.",
    )
    kubernetes_version: VersionText = Field(
        default="1.30",
        description="Kubernetes release the manifests are checked against (quote it).",
        examples=["1.30"],
    )

    @field_validator("repository_uri")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None and not _REPOSITORY_URI.match(value):
            raise ValueError(
                f"{value!r} is not a repository location pods can read"
                " — use s3://bucket/path, gs://bucket/path or pvc:<claim-name>"
            )
        return value


class Targets(SpecModel):
    """Every deploy target is optional; a project without targets still builds and validates."""

    local: LocalTarget | None = Field(
        default=None,
        description="The embedded tritonserver (tritonops deploy --target local).",
        examples=[{}],
    )
    remote: RemoteTarget | None = Field(
        examples=[{"url": "triton.internal:8001", "protocol": "grpc"}],
        default=None,
        description="A running Triton reached through its repository API (--target remote).",
    )
    kubernetes: KubernetesTarget | None = Field(
        examples=[{"namespace": "models", "repository_uri": "s3://my-bucket/models"}],
        default=None,
        description="Rendered Kubernetes manifests (--target kubernetes).",
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "k8s": "the project file says 'kubernetes'",
        "kserve": "kserve is a setting of the kubernetes target",
    }
