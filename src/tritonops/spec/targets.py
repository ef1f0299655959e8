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

    http_port: Port | None = None
    grpc_port: Port | None = None
    metrics_port: Port | None = None
    tritonserver: str | None = None

    @model_validator(mode="after")
    def _distinct_ports(self) -> LocalTarget:
        ports = [p for p in (self.http_port, self.grpc_port, self.metrics_port) if p is not None]
        if len(ports) != len(set(ports)):
            raise ValueError("http_port, grpc_port and metrics_port must differ — pick free ports")
        return self


class RemoteTarget(SpecModel):
    """A running Triton started with ``--model-control-mode=explicit``."""

    url: NonEmpty
    protocol: Literal["http", "grpc"] = "http"
    ssl: bool = False
    headers: dict[str, str] = Field(default_factory=dict)
    model_control: Literal["explicit"] = "explicit"

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

    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: Count | None = None


class Autoscaling(SpecModel):
    """A horizontal autoscaler driven by Triton's queue time."""

    min: Positive = 1
    max: Positive = 1
    target_queue_ms: Millis | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Autoscaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) exceeds max ({self.max}) — raise max or lower min")
        return self


class KubernetesTarget(SpecModel):
    """Rendered manifests: a Deployment (or KServe InferenceService), a Service, an autoscaler."""

    namespace: NonEmpty = "default"
    image: NonEmpty = DEFAULT_IMAGE
    replicas: Positive = 1
    # where the pods read the repository: s3://bucket/path, gs://bucket/path or pvc:NAME
    repository_uri: str | None = None
    resources: Resources | None = None
    autoscaling: Autoscaling | None = None
    kserve: bool = False
    kubernetes_version: VersionText = "1.30"

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

    local: LocalTarget | None = None
    remote: RemoteTarget | None = None
    kubernetes: KubernetesTarget | None = None

    extra_key_hints: ClassVar[dict[str, str]] = {
        "k8s": "the project file says 'kubernetes'",
        "kserve": "kserve is a setting of the kubernetes target",
    }
