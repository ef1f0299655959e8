"""The KServe alternative: one InferenceService whose predictor runs KServe's Triton runtime.

KServe then owns the Deployment, the Service and the scaling, so none of those is rendered beside
it. An experiment maps onto KServe's canary roll-out: the variant with the largest weight is the
baseline (the revision already serving), the next largest is the candidate (the revision this
manifest creates), and ``canaryTrafficPercent`` is the candidate's share of the weights normalised
to 100. KServe can split between two revisions only; further variants are left to tritonops'
client-side router and named in the comment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tritonops.deploy.kubernetes.objects import Rendered, metadata
from tritonops.deploy.kubernetes.workload import Storage, container_resources, gpu_tolerations
from tritonops.spec.experiments import ExperimentSpec, VariantSpec
from tritonops.spec.targets import KubernetesTarget

TRITON_RUNTIME = "kserve-tritonserver"
NGC_TRITON = "nvcr.io/nvidia/tritonserver:"


@dataclass(frozen=True)
class Canary:
    """How one experiment becomes ``canaryTrafficPercent``."""

    experiment: str
    baseline: VariantSpec
    candidate: VariantSpec
    percent: int
    # variants beyond the two KServe can split between
    left_out: tuple[str, ...]
    # experiments beyond the first, which one InferenceService cannot express
    other_experiments: tuple[str, ...] = ()

    def describe(self) -> tuple[str, ...]:
        lines = [
            f"canaryTrafficPercent {self.percent}: experiment {self.experiment!r}. Candidate "
            f"{_variant(self.candidate)} gets its share of the normalised weights; baseline "
            f"{_variant(self.baseline)} (the largest weight) keeps the rest.",
            "KServe splits traffic between the revision already serving (the baseline) and the "
            "one this manifest creates (the candidate), so apply it when storageUri holds the "
            "candidate; promote with canaryTrafficPercent 100, roll back with 0.",
        ]
        if self.left_out:
            lines.append(
                f"Not in the canary (route them with tritonops): {', '.join(self.left_out)}."
            )
        if self.other_experiments:
            others = ", ".join(self.other_experiments)
            lines.append(f"Only the first experiment maps to the canary; not: {others}.")
        return tuple(lines)


def _variant(v: VariantSpec) -> str:
    version = f" v{v.version}" if v.version is not None else ""
    return f"{v.name!r} ({v.model}{version}, weight {v.weight:g})"


def canary_of(experiments: list[ExperimentSpec]) -> Canary | None:
    """The first experiment as a canary; None without experiments."""
    if not experiments:
        return None
    experiment = experiments[0]
    total = sum(v.weight for v in experiment.variants)
    # max() keeps the first of equal weights, so ties go to the variant listed first
    baseline = max(experiment.variants, key=lambda v: v.weight)
    rest = [v for v in experiment.variants if v is not baseline]
    candidate = max(rest, key=lambda v: v.weight)
    # half-up rounding: the same weights always give the same percent
    percent = math.floor(candidate.weight / total * 100 + 0.5) if total > 0 else 0
    return Canary(
        experiment=experiment.name,
        baseline=baseline,
        candidate=candidate,
        percent=percent,
        left_out=tuple(v.name for v in rest if v is not candidate),
        other_experiments=tuple(e.name for e in experiments[1:]),
    )


def inference_service(
    name: str, target: KubernetesTarget, storage: Storage, canary: Canary | None
) -> Rendered:
    model: dict[str, object] = {
        "modelFormat": {"name": "triton"},
        "runtime": TRITON_RUNTIME,
        "storageUri": storage.storage_uri,
    }
    comment: list[str] = [
        f"KServe's {TRITON_RUNTIME} runtime serves the repository at {storage.storage_uri}.",
    ]
    if target.image.startswith(NGC_TRITON):
        # the runtime's own image at the project's Triton release
        model["runtimeVersion"] = target.image.removeprefix(NGC_TRITON)
    else:
        model["image"] = target.image
    resources = container_resources(target.resources)
    if resources:
        model["resources"] = resources
    scaling = target.autoscaling
    low, high = (scaling.min, scaling.max) if scaling is not None else (target.replicas,) * 2
    predictor: dict[str, object] = {"minReplicas": low, "maxReplicas": high, "model": model}
    if scaling is not None and scaling.target_queue_ms is not None:
        comment.append(
            "KServe scales on its own metric (concurrency by default); "
            "autoscaling.target_queue_ms has no KServe equivalent and is not applied."
        )
    tolerations = gpu_tolerations(target.resources)
    if tolerations:
        predictor["tolerations"] = tolerations
    if canary is not None:
        predictor["canaryTrafficPercent"] = canary.percent
        comment.extend(canary.describe())
    if storage.secret is not None:
        comment.append(
            "KServe's storage initializer reads bucket credentials from the predictor's "
            "ServiceAccount: attach your credentials Secret to one and set "
            "spec.predictor.serviceAccountName."
        )
    comment.append("Metrics: KServe adds Prometheus scrape annotations for Triton's port 8002.")
    manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": metadata(
            name,
            target.namespace,
            annotations={"serving.kserve.io/enable-prometheus-scraping": "true"},
        ),
        "spec": {"predictor": predictor},
    }
    return Rendered(manifest, tuple(comment))
