"""The plain-Kubernetes objects: a Deployment of tritonserver, its Service, autoscaler and monitor.

Why ``--model-control-mode=explicit`` with one ``--load-model`` per project model, not ``poll``:
in a GitOps roll-out the manifests are the source of truth. Explicit mode loads exactly the models
the project declares, once, at start-up: a pod is ready only when all of them loaded, and a change
to the model set changes the pod template, so the Deployment rolls it out replica by replica behind
the readiness probe (and can be rolled back by revision). Poll mode would have every replica rescan
the repository on its own clock, picking up a half-uploaded model or a change nobody rolled out,
with replicas disagreeing about what they serve in between.

Queue-time autoscaling reads a per-pod custom metric, ``triton_queue_ms_per_request``, which
Kubernetes does not have by itself: prometheus-adapter (or another custom-metrics API server) must
derive it from Triton's counters — the rate of ``nv_inference_queue_duration_us`` divided by the
rate of ``nv_inference_request_success``, in milliseconds. ``QUEUE_METRIC_RULE`` is such a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tritonops.deploy.kubernetes.objects import (
    Manifest,
    Rendered,
    common_labels,
    metadata,
    selector_labels,
)
from tritonops.errors import DeployError
from tritonops.monitoring.names import SUMMARY_ARGS
from tritonops.spec.targets import Autoscaling, KubernetesTarget, Resources

HTTP_PORT, GRPC_PORT, METRICS_PORT = 8000, 8001, 8002
PORTS = (("http", HTTP_PORT), ("grpc", GRPC_PORT), ("metrics", METRICS_PORT))
CONTAINER = "tritonserver"
# the NGC image's own user, triton-server
TRITON_UID = 1000
MOUNTED_REPOSITORY = "/models"
GCS_KEY_DIR = "/var/run/secrets/tritonops/gcs"
GPU_RESOURCE = "nvidia.com/gpu"
CPU_TARGET_PERCENT = 80
QUEUE_METRIC = "triton_queue_ms_per_request"
QUEUE_METRIC_RULE = f"""\
rules:
  - seriesQuery: 'nv_inference_queue_duration_us{{namespace!="",pod!=""}}'
    resources: {{overrides: {{namespace: {{resource: namespace}}, pod: {{resource: pod}}}}}}
    name: {{as: {QUEUE_METRIC}}}
    metricsQuery: >-
      sum by (<<.GroupBy>>) (rate(nv_inference_queue_duration_us{{<<.LabelMatchers>>}}[1m]))
      / 1000 / clamp_min(sum by (<<.GroupBy>>)
      (rate(nv_inference_request_success{{<<.LabelMatchers>>}}[1m])), 1e-9)"""


@dataclass(frozen=True)
class Storage:
    """How pods reach the model repository: the flag value plus what the pod needs for it."""

    model_repository: str
    # the same location as a KServe storageUri (pvc:NAME becomes pvc://NAME)
    storage_uri: str
    secret: str | None = None
    env: list[Manifest] = field(default_factory=list)
    volumes: list[Manifest] = field(default_factory=list)
    mounts: list[Manifest] = field(default_factory=list)


def storage_secret(name: str) -> str:
    return f"{name}-storage-credentials"


def storage_for(uri: str, name: str) -> Storage:
    """``pvc:NAME`` mounts the claim read-only; ``s3://``/``gs://`` are read by Triton itself."""
    if uri.startswith("pvc:"):
        claim = uri.removeprefix("pvc:")
        return Storage(
            model_repository=MOUNTED_REPOSITORY,
            storage_uri=f"pvc://{claim}",
            volumes=[
                {
                    "name": "model-repository",
                    "persistentVolumeClaim": {"claimName": claim, "readOnly": True},
                }
            ],
            mounts=[
                {"name": "model-repository", "mountPath": MOUNTED_REPOSITORY, "readOnly": True}
            ],
        )
    secret = storage_secret(name)
    if uri.startswith("s3://"):
        env = [_secret_env(secret, key) for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")]
        # a region and a session token are needed only by some accounts
        env += [
            _secret_env(secret, key, optional=True)
            for key in ("AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN")
        ]
        return Storage(model_repository=uri, storage_uri=uri, secret=secret, env=env)
    if uri.startswith("gs://"):
        # Google's client reads a key file, so the Secret is mounted and the variable points at it
        return Storage(
            model_repository=uri,
            storage_uri=uri,
            secret=secret,
            env=[{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": f"{GCS_KEY_DIR}/key.json"}],
            volumes=[{"name": "storage-credentials", "secret": {"secretName": secret}}],
            mounts=[{"name": "storage-credentials", "mountPath": GCS_KEY_DIR, "readOnly": True}],
        )
    raise DeployError(
        f"repository_uri {uri!r} is not one pods can read — use s3://bucket/path, "
        "gs://bucket/path or pvc:<claim-name>"
    )


def _secret_env(secret: str, key: str, *, optional: bool = False) -> Manifest:
    ref: Manifest = {"name": secret, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": key, "valueFrom": {"secretKeyRef": ref}}


def container_resources(resources: Resources | None) -> Manifest:
    """Requests equal to limits (Guaranteed QoS when cpu and memory are both set); GPUs as limits.

    Kubernetes takes an extended resource's request from its limit, so the GPU is written once.
    """
    if resources is None:
        return {}
    fixed = {k: v for k, v in (("cpu", resources.cpu), ("memory", resources.memory)) if v}
    limits: Manifest = dict(fixed)
    if resources.gpu:
        limits[GPU_RESOURCE] = resources.gpu
    out: Manifest = {}
    if fixed:
        out["requests"] = dict(fixed)
    if limits:
        out["limits"] = limits
    return out


def gpu_tolerations(resources: Resources | None) -> list[Manifest]:
    """GPU nodes are commonly tainted ``nvidia.com/gpu``; a pod asking for a GPU tolerates it."""
    if resources is None or not resources.gpu:
        return []
    return [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]


def server_args(storage: Storage, models: list[str]) -> list[str]:
    return [
        "tritonserver",
        f"--model-repository={storage.model_repository}",
        "--model-control-mode=explicit",
        *(f"--load-model={model}" for model in models),
        f"--http-port={HTTP_PORT}",
        f"--grpc-port={GRPC_PORT}",
        f"--metrics-port={METRICS_PORT}",
        "--allow-metrics=true",
        # p50/p99 request and queue times for the dashboard and the SLO alerts (monitoring.names)
        *SUMMARY_ARGS,
    ]


def _probe(path: str, period: int, failures: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "failureThreshold": failures,
    }


def deployment(
    name: str,
    target: KubernetesTarget,
    storage: Storage,
    models: list[str],
    *,
    replicas: int | None,
    pod_annotations: dict[str, str],
) -> Rendered:
    """``replicas`` is None when an autoscaler owns the count (so a GitOps sync never resets it)."""
    container: Manifest = {
        "name": CONTAINER,
        "image": target.image,
        "imagePullPolicy": "IfNotPresent",
        # the image's entrypoint runs its arguments, so the command stays the image's own
        "args": server_args(storage, models),
        "ports": [
            {"name": port, "containerPort": number, "protocol": "TCP"} for port, number in PORTS
        ],
        # Triton opens its ports only after the start-up models loaded; give that 10 minutes before
        # the liveness probe may restart the pod (raise failureThreshold for large LLM engines)
        "startupProbe": _probe("/v2/health/live", 10, 60),
        "livenessProbe": _probe("/v2/health/live", 10, 3),
        "readinessProbe": _probe("/v2/health/ready", 5, 3),
        "resources": container_resources(target.resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}, *storage.mounts],
    }
    if storage.env:
        container["env"] = storage.env
    pod: Manifest = {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": TRITON_UID,
            "runAsGroup": TRITON_UID,
            "fsGroup": TRITON_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        # the python backend exchanges tensors through shared memory; a container's default
        # /dev/shm is 64 MiB. Memory-backed, its use counts against the memory limit.
        "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}, *storage.volumes],
    }
    tolerations = gpu_tolerations(target.resources)
    if tolerations:
        pod["tolerations"] = tolerations
    template_meta: Manifest = {"labels": common_labels(name)}
    if pod_annotations:
        template_meta["annotations"] = pod_annotations
    spec: Manifest = {
        "selector": {"matchLabels": selector_labels(name)},
        "template": {"metadata": template_meta, "spec": pod},
    }
    if replicas is not None:
        spec = {"replicas": replicas, **spec}
    comment = [
        f"tritonserver in explicit model-control mode, loading: {', '.join(models)}.",
    ]
    if storage.secret is not None:
        keys = [e["name"] for e in storage.env if "valueFrom" in e] or ["key.json"]
        comment.append(
            f"Expects Secret {storage.secret!r} in namespace {target.namespace!r} with keys: "
            + ", ".join(keys)
            + " (create it yourself; tritonops never writes credentials)."
        )
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(name, target.namespace),
        "spec": spec,
    }
    return Rendered(manifest, tuple(comment))


def service(name: str, target: KubernetesTarget) -> Rendered:
    manifest = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(name, target.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(name),
            "ports": [
                {"name": port, "port": number, "targetPort": port, "protocol": "TCP"}
                for port, number in PORTS
            ],
        },
    }
    return Rendered(manifest, ("HTTP 8000, gRPC 8001 and Prometheus metrics 8002 of every pod.",))


def autoscaler(name: str, target: KubernetesTarget, scaling: Autoscaling) -> Rendered:
    """On queue time when ``target_queue_ms`` is set, else on CPU utilization."""
    if scaling.target_queue_ms is not None:
        metric: Manifest = {
            "type": "Pods",
            "pods": {
                "metric": {"name": QUEUE_METRIC},
                "target": {"type": "AverageValue", "averageValue": _millis(scaling)},
            },
        }
        comment = [
            f"Scales on {QUEUE_METRIC} (mean queue time per request, per pod) towards "
            f"{scaling.target_queue_ms:g} ms.",
            "Needs prometheus-adapter serving that metric from Triton's counters, e.g.:",
            *QUEUE_METRIC_RULE.splitlines(),
        ]
    else:
        if target.resources is None or not target.resources.cpu:
            raise DeployError(
                "autoscaling on CPU needs a CPU request to measure against — set "
                "targets.kubernetes.resources.cpu, or scale on queue time with "
                "targets.kubernetes.autoscaling.target_queue_ms"
            )
        metric = {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": CPU_TARGET_PERCENT},
            },
        }
        comment = [
            f"Scales on CPU utilization ({CPU_TARGET_PERCENT}% of the request); set "
            "autoscaling.target_queue_ms to scale on Triton's queue time instead."
        ]
    manifest = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(name, target.namespace),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": scaling.min,
            "maxReplicas": scaling.max,
            "metrics": [metric],
        },
    }
    return Rendered(manifest, tuple(comment))


def _millis(scaling: Autoscaling) -> str:
    """The target as a Kubernetes quantity: 20 ms → ``20``, 12.5 ms → ``12500m``."""
    value = float(scaling.target_queue_ms or 0)
    return str(int(value)) if value.is_integer() else f"{round(value * 1000)}m"


def service_monitor(name: str, target: KubernetesTarget) -> Rendered:
    manifest = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": metadata(name, target.namespace),
        "spec": {
            "selector": {"matchLabels": selector_labels(name)},
            "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "15s"}],
        },
    }
    comment = (
        "Prometheus Operator scrapes Triton's /metrics through the Service's 'metrics' port.",
        "Your Prometheus must select this ServiceMonitor (check its serviceMonitorSelector).",
    )
    return Rendered(manifest, comment)
