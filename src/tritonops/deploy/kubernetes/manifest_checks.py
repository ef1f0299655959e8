"""Check rendered manifests offline, for one Kubernetes version, without a cluster.

Built-in kinds (Deployment, Service, HorizontalPodAutoscaler) are validated by kubernetes-validate
against the OpenAPI-derived JSON schemas it bundles per Kubernetes release, in strict mode (unknown
fields are errors). Those schemas accept any string as a quantity and any string as a name, which
the API server would reject, so tritonops checks resource quantities, object names and label values
itself. Custom resources (ServiceMonitor, InferenceService) and the Kustomization have no bundled
schema: ``structure`` checks the fields tritonops writes, and each result says which check it had.

kubernetes-validate picks a schema by comparing version strings as text ("1.4" > "1.37"), so the
version is resolved here against the bundled list first and passed on exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from tritonops.deploy.kubernetes.objects import DNS1035_LABEL
from tritonops.deploy.kubernetes.structure import STRUCTURES, check_structure, path_text
from tritonops.errors import DeployError

# apimachinery's quantity grammar: a signed decimal, then a binary/decimal SI suffix or an exponent
_QUANTITY = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?\Z")
_DNS1123_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
# fields whose value is a quantity, beyond requests/limits inside resources
_QUANTITY_KEYS = frozenset({"averageValue", "sizeLimit"})


@dataclass(frozen=True)
class ObjectCheck:
    """The outcome for one object: how it was checked and what was wrong."""

    file: Path
    kind: str
    name: str
    method: str  # "kubernetes-validate 1.30 (strict)" or "structural (no schema for ...)"
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _kubernetes_validate() -> ModuleType:
    # an optional dependency (the "kubernetes" extra): say how to get it rather than fail on import
    try:
        import kubernetes_validate
        import kubernetes_validate.utils
    except ImportError as exc:
        raise DeployError(
            "checking Kubernetes manifests needs kubernetes-validate — "
            "pip install 'tritonops[kubernetes]'"
        ) from exc
    module: ModuleType = kubernetes_validate
    return module


def supported_versions() -> list[str]:
    """The Kubernetes minor releases whose schemas kubernetes-validate bundles, oldest first."""
    minors = {".".join(v.split(".")[:2]) for v in _kubernetes_validate().utils.all_versions()}
    return sorted(minors, key=lambda v: tuple(int(p) for p in v.split(".")))


def schema_version(version: str) -> str:
    """``1.30``, ``v1.30`` or ``1.30.4`` → ``1.30``; DeployError when no schema is bundled."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)(\.\d+)?", version.strip())
    minor = f"{int(match.group(1))}.{int(match.group(2))}" if match else version
    supported = supported_versions()
    if minor not in supported:
        raise DeployError(
            f"no Kubernetes schemas for version {version!r} — set targets.kubernetes."
            f"kubernetes_version to one of: {', '.join(supported)}"
        )
    return minor


def check_objects(paths: Iterable[Path], kubernetes_version: str) -> list[ObjectCheck]:
    """Every object in every file, checked; problems are collected, never raised."""
    version = schema_version(kubernetes_version)
    results: list[ObjectCheck] = []
    for path in paths:
        try:
            documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        except (OSError, yaml.YAMLError) as exc:
            results.append(ObjectCheck(path, "?", "?", "unreadable", (f"{path}: {exc}",)))
            continue
        results.extend(_check_document(path, doc, version) for doc in documents)
    return results


def check_manifests(paths: Iterable[Path], kubernetes_version: str) -> list[str]:
    """Every problem in ``paths`` as ``file: Kind/name: field: message`` lines; empty when fine."""
    return [p for result in check_objects(paths, kubernetes_version) for p in result.problems]


def _check_document(path: Path, doc: Any, version: str) -> ObjectCheck:
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        return ObjectCheck(path, "?", "?", "none", (f"{path}: not a Kubernetes object",))
    kind = doc["kind"]
    meta = doc.get("metadata")
    # a Kustomization has no metadata; its file names it
    name = str(meta.get("name", "?")) if isinstance(meta, dict) else path.stem
    where = f"{path}: {kind}/{name}"
    structure = STRUCTURES.get((str(doc.get("apiVersion")), kind))
    if structure is not None:
        method = f"structural (no schema for {doc.get('apiVersion')} {kind})"
        found = check_structure(doc, structure)
    else:
        method = f"kubernetes-validate {version} (strict)"
        found = _schema_problems(doc, version)
    found += _api_server_rules(doc, kind)
    if kind == "Kustomization":
        found += _missing_resources(path, doc)
    return ObjectCheck(path, kind, name, method, tuple(f"{where}: {p}" for p in found))


def _schema_problems(doc: dict[str, Any], version: str) -> list[str]:
    kubernetes_validate = _kubernetes_validate()
    try:
        used = kubernetes_validate.validate(doc, f"{version}.0", strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{path_text(exc.path) or '(object)'}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"not validated: {exc.message} — and tritonops has no structural check for it"]
    except kubernetes_validate.InvalidSchemaError as exc:  # a damaged installation
        return [f"not validated: {exc.message} — reinstall kubernetes-validate"]
    if used != version:
        return [f"validated against Kubernetes {used} instead of {version}"]
    return []


def _missing_resources(path: Path, doc: dict[str, Any]) -> list[str]:
    listed = doc.get("resources")
    if not isinstance(listed, list):
        return []
    return [
        f"resources: {entry!r} is listed but no such file exists next to it"
        for entry in listed
        if isinstance(entry, str) and not (path.parent / entry).is_file()
    ]


def _api_server_rules(doc: dict[str, Any], kind: str) -> list[str]:
    """What the API server enforces beyond the JSON schemas: quantities, names, label values."""
    problems: list[str] = []
    meta = doc.get("metadata")
    if isinstance(meta, dict) and "name" in meta:
        name = str(meta["name"])
        pattern, rule = (
            (DNS1035_LABEL, "a DNS-1035 label")
            if kind == "Service"
            else (_DNS1123_SUBDOMAIN, "a DNS-1123 subdomain")
        )
        if not pattern.match(name) or len(name) > (63 if kind == "Service" else 253):
            problems.append(
                f"metadata.name: {name!r} is not {rule} (lower-case letters, digits, '-')"
            )
    for path, value in _walk(doc, ()):
        if _is_label_value(path) and (
            not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value)
        ):
            problems.append(
                f"{path_text(path)}: {value!r} is not a valid label value (at most 63 letters, "
                "digits, '-', '_' or '.', starting and ending with a letter or digit)"
            )
        if _is_quantity(path) and not _valid_quantity(value):
            problems.append(
                f"{path_text(path)}: {value!r} is not a Kubernetes quantity — write e.g. 500m or "
                "2 for CPUs, 512Mi or 16Gi for memory (targets.kubernetes.resources)"
            )
    return problems


def _walk(node: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))
    else:
        yield path, node


def _is_label_value(path: tuple[str | int, ...]) -> bool:
    return len(path) >= 2 and path[-2] in ("labels", "matchLabels")


def _is_quantity(path: tuple[str | int, ...]) -> bool:
    in_resources = len(path) >= 3 and path[-3] == "resources" and path[-2] in ("requests", "limits")
    return in_resources or (bool(path) and path[-1] in _QUANTITY_KEYS)


def _valid_quantity(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value >= 0
    return isinstance(value, str) and bool(_QUANTITY.match(value)) and not value.startswith("-")
