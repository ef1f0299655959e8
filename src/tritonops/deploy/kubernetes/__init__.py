"""``deploy --target kubernetes``: manifests for scale-out, rendered as data and checked offline.

::

    result = render_manifests(project, Path("k8s"))   # DeployError, or every file checked
    problems = check_manifests(result.paths, "1.30")  # re-check files, e.g. after hand edits

Manifests are built as plain dicts, one function per kind, rather than from YAML templates: the
values come from typed settings, YAML quoting is left to the YAML library (``"true"``, ``"1.30"``
and ``8Gi`` come out as the strings Kubernetes expects), and the checks see the same structure the
code built. Objects rendered: a Deployment, a Service, a HorizontalPodAutoscaler (when autoscaling
has room to scale), a ServiceMonitor, a PrometheusRule with the SLO rules and a ConfigMap with the
Grafana dashboard (``monitoring``) — or, with ``kserve: true``, one KServe InferenceService — plus
``kustomization.yaml`` listing them.
"""

from tritonops.deploy.kubernetes.manifest_checks import (
    ObjectCheck,
    check_manifests,
    check_objects,
    supported_versions,
)
from tritonops.deploy.kubernetes.render import KubernetesResult, ManifestFile, render_manifests
from tritonops.deploy.kubernetes.workload import QUEUE_METRIC, storage_secret

__all__ = [
    "QUEUE_METRIC",
    "KubernetesResult",
    "ManifestFile",
    "ObjectCheck",
    "check_manifests",
    "check_objects",
    "render_manifests",
    "storage_secret",
    "supported_versions",
]
