"""``render_manifests``: the project's scale-out manifests, written atomically and checked offline.

The folder is built next to its destination, every file is checked there (parsed back from the
YAML actually written), and only then swapped in; on any failure the previous folder stays as it
was. A ``.tritonops-manifests`` marker means tritonops wrote the folder, so it never replaces one
it did not write. Output carries no timestamps, so re-rendering an unchanged project changes
nothing a GitOps diff would show.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from tritonops import __version__
from tritonops.atomic import check_replaceable, make_staging, swap_directory, write_marker
from tritonops.deploy.history import DeployedModel, DeployRecord, append, models_of
from tritonops.deploy.kubernetes.kserve import canary_of, inference_service
from tritonops.deploy.kubernetes.manifest_checks import ObjectCheck, check_objects, schema_version
from tritonops.deploy.kubernetes.monitoring import dashboard_config_map, prometheus_rule
from tritonops.deploy.kubernetes.objects import Rendered, object_name
from tritonops.deploy.kubernetes.workload import (
    autoscaler,
    deployment,
    service,
    service_monitor,
    storage_for,
)
from tritonops.errors import DeployError
from tritonops.spec.project import Project
from tritonops.spec.targets import KubernetesTarget

MARKER = ".tritonops-manifests"
KUSTOMIZATION = "kustomization.yaml"
# changes whenever a model's config or versions change, so the pods roll and reload them
REPOSITORY_ANNOTATION = "tritonops.io/repository-sha256"


@dataclass(frozen=True)
class ManifestFile:
    """One written file, the object in it, and how it was checked."""

    path: Path
    kind: str
    name: str
    checked: str
    comment: tuple[str, ...] = ()


@dataclass(frozen=True)
class KubernetesResult:
    """What ``render_manifests`` put in ``out``; every file passed its check."""

    out: Path
    name: str
    namespace: str
    kubernetes_version: str
    files: tuple[ManifestFile, ...]

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def notes(self) -> list[str]:
        """What the files explain (credentials to create, metrics to expose, the canary)."""
        return [f"{f.path.name}: {line}" for f in self.files for line in f.comment]


def render_manifests(
    project: Project,
    out: Path,
    *,
    repository_uri: str | None = None,
    kubernetes_version: str | None = None,
    project_root: Path | None = None,
) -> KubernetesResult:
    """Render, check and write the manifests; ``project_root`` also records a planned deploy.

    The keyword arguments override the project's ``targets.kubernetes`` settings.
    """
    target = _target(project, repository_uri, kubernetes_version)
    version = schema_version(target.kubernetes_version)
    if target.repository_uri is None:
        raise DeployError(
            "pods need to know where the model repository is — set targets.kubernetes."
            "repository_uri (e.g. s3://bucket/path, gs://bucket/path or pvc:models)"
        )
    models = [m.name for m in project.models] + [e.name for e in project.ensembles]
    if not models:
        raise DeployError("the project has no models to serve — add one under models:")
    name = object_name(project.root.resolve().name)
    objects = _objects(project, target, name, models)
    root = Path(os.path.abspath(out))
    files = _write(objects, root, version, project.path.name)
    if project_root is not None:
        record = DeployRecord(
            target="kubernetes",
            outcome="planned",
            models=_deployed(project, models),
            endpoint=f"{name}.{target.namespace}",
            detail=f"manifests in {root}",
        )
        append(project_root, record)
    return KubernetesResult(root, name, target.namespace, version, files)


def _target(project: Project, uri: str | None, version: str | None) -> KubernetesTarget:
    target = project.targets.kubernetes or KubernetesTarget()
    overrides = {k: v for k, v in (("repository_uri", uri), ("kubernetes_version", version)) if v}
    if not overrides:
        return target
    try:
        # validated like the project file, so an override cannot smuggle in a bad URI
        return KubernetesTarget.model_validate({**target.model_dump(), **overrides})
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise DeployError(f"invalid Kubernetes setting: {reasons}") from exc


def _objects(
    project: Project, target: KubernetesTarget, name: str, models: list[str]
) -> list[Rendered]:
    storage = storage_for(target.repository_uri or "", name)
    if target.kserve:
        return [inference_service(name, target, storage, canary_of(project.experiments))]
    scaling = target.autoscaling
    scales = scaling is not None and scaling.max > scaling.min
    replicas = target.replicas
    if scaling is not None:
        replicas = min(max(replicas, scaling.min), scaling.max)
    digest = _repository_digest(project, models)
    annotations = {REPOSITORY_ANNOTATION: digest} if digest else {}
    objects = [
        deployment(
            name,
            target,
            storage,
            models,
            replicas=None if scales else replicas,
            pod_annotations=annotations,
        ),
        service(name, target),
    ]
    if scaling is not None and scales:
        objects.append(autoscaler(name, target, scaling))
    objects.append(service_monitor(name, target))
    objects += [prometheus_rule(project, name, target), dashboard_config_map(project, name, target)]
    return objects


def _deployed(project: Project, models: list[str]) -> tuple[DeployedModel, ...]:
    if project.repository.is_dir():
        return models_of(project.repository, models)
    return tuple(DeployedModel(model, (), "") for model in models)


def _repository_digest(project: Project, models: list[str]) -> str:
    """A hash of the rendered repository's configs and versions; '' when it is not rendered yet."""
    if not project.repository.is_dir():
        return ""
    listing = [[m.name, list(m.versions), m.config_sha256] for m in models_of(project.repository)]
    if not any(name in models for name, _, _ in listing):
        return ""
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()


def _text(rendered: Rendered, source: str) -> str:
    header = [f"Rendered by tritonops {__version__} from {source}; re-render instead of editing."]
    lines = [f"# {line}".rstrip() for line in (*header, *rendered.comment)]
    body = yaml.safe_dump(rendered.manifest, sort_keys=False, width=100)
    return "\n".join(lines) + "\n" + body


def _write(
    objects: list[Rendered], root: Path, version: str, source: str
) -> tuple[ManifestFile, ...]:
    check_replaceable(root, MARKER, DeployError)
    try:
        tmp = make_staging(root, MARKER)
    except OSError as exc:
        raise DeployError(
            f"cannot create a folder next to {root}: {exc.strerror or exc} — choose an output "
            "folder whose parent is writable"
        ) from exc
    try:
        names = [r.filename for r in objects]
        for rendered in objects:
            (tmp / rendered.filename).write_text(_text(rendered, source), "utf-8")
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": names,
        }
        text = _text(Rendered(kustomization, ("kubectl apply -k <this folder>",)), source)
        (tmp / KUSTOMIZATION).write_text(text, "utf-8")
        write_marker(tmp, MARKER, {"version": __version__, "files": names})
        checks = check_objects([tmp / n for n in (*names, KUSTOMIZATION)], version)
        _raise_problems(checks, tmp, root)
        swap_directory(tmp, root)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DeployError(
            f"cannot write the manifests to {root}: {exc.strerror or exc} — the previous folder "
            "is unchanged; check permissions and free space"
        ) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    comments = {r.filename: r.comment for r in objects}
    return tuple(
        ManifestFile(root / c.file.name, c.kind, c.name, c.method, comments.get(c.file.name, ()))
        for c in checks
    )


def _raise_problems(checks: list[ObjectCheck], tmp: Path, root: Path) -> None:
    problems = [p.replace(str(tmp), str(root)) for c in checks for p in c.problems]
    if problems:
        raise DeployError(
            f"{len(problems)} problem(s) in the rendered manifests (nothing was written):\n"
            + "\n".join(f"  {p}" for p in problems)
        )
