"""Structural checks for objects no bundled schema covers: CRDs and the Kustomization.

kubernetes-validate knows only built-in kinds. For the custom resources tritonops writes this
checks the fields tritonops produces — that they are present, have the right type and sit where
the CRD puts them — and flags any other field. It is not the CRD's full schema, and results say so.

A shape is a Python type (``str``, ``int``, ``bool``), a callable returning a problem or None, a
dict of field shapes (a ``?`` suffix marks an optional field; other fields are unknown), or a
one-item list (a non-empty list whose items have that shape).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

Shape = Any


def path_text(path: Iterable[str | int]) -> str:
    """``("spec", "containers", 0, "image")`` → ``spec.containers[0].image``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def check_structure(doc: Any, shape: Shape) -> list[str]:
    return list(_check(doc, shape, ()))


def _check(value: Any, shape: Shape, path: tuple[str | int, ...]) -> Iterable[str]:
    where = path_text(path) or "(object)"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            yield f"{where}: expected a mapping, got {type(value).__name__}"
            return
        fields = {key.rstrip("?"): key.endswith("?") for key in shape}
        for key, optional in fields.items():
            if key not in value:
                if not optional:
                    yield f"{path_text((*path, key))}: required field missing"
                continue
            yield from _check(value[key], shape[key + "?" if optional else key], (*path, key))
        for key in value:
            if key not in fields:
                yield f"{path_text((*path, key))}: not a field tritonops knows for this kind"
    elif isinstance(shape, list):
        if not isinstance(value, list) or not value:
            yield f"{where}: expected a non-empty list"
            return
        for index, item in enumerate(value):
            yield from _check(item, shape[0], (*path, index))
    elif isinstance(shape, type):
        # bool is an int in Python, never in YAML's sense
        if type(value) is not shape:
            yield f"{where}: expected {shape.__name__}, got {type(value).__name__} {value!r}"
    else:
        problem = shape(value)
        if problem is not None:
            yield f"{where}: {problem}"


def _string_map(value: Any) -> str | None:
    if isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return "expected a mapping of strings to strings"


def _between(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if type(value) is int and low <= value <= high:
            return None
        return f"expected a whole number from {low} to {high}, got {value!r}"

    return check


def _duration(value: Any) -> str | None:
    # Prometheus durations such as 15s, 1m, 1h30m
    if isinstance(value, str) and re.fullmatch(r"(\d+(ms|s|m|h|d|w|y))+", value):
        return None
    return f"expected a Prometheus duration such as 15s, got {value!r}"


def _storage_uri(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("s3://", "gs://", "pvc://")):
        return None
    return f"expected an s3://, gs:// or pvc:// URI, got {value!r}"


def _resources(value: Any) -> str | None:
    # the quantities themselves are checked with the built-in kinds' rules
    if isinstance(value, dict) and set(value) <= {"requests", "limits"}:
        return None
    return "expected a mapping with requests and/or limits"


def _list_of_mappings(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return None
    return "expected a list of mappings"


_METADATA: Shape = {
    "name": str,
    "namespace?": str,
    "labels?": _string_map,
    "annotations?": _string_map,
}

SERVICE_MONITOR: Shape = {
    "apiVersion": str,
    "kind": str,
    "metadata": _METADATA,
    "spec": {
        "selector": {"matchLabels": _string_map},
        "endpoints": [{"port": str, "path?": str, "interval?": _duration}],
    },
}

INFERENCE_SERVICE: Shape = {
    "apiVersion": str,
    "kind": str,
    "metadata": _METADATA,
    "spec": {
        "predictor": {
            "minReplicas?": _between(0, 10_000),
            "maxReplicas?": _between(1, 10_000),
            "canaryTrafficPercent?": _between(0, 100),
            "tolerations?": _list_of_mappings,
            "serviceAccountName?": str,
            "model": {
                "modelFormat": {"name": str},
                "runtime?": str,
                "runtimeVersion?": str,
                "image?": str,
                "storageUri": _storage_uri,
                "resources?": _resources,
            },
        }
    },
}

_RULE: Shape = {
    "record?": str,
    "alert?": str,
    "expr": str,
    "for?": _duration,
    "labels?": _string_map,
    "annotations?": _string_map,
}

PROMETHEUS_RULE: Shape = {
    "apiVersion": str,
    "kind": str,
    "metadata": _METADATA,
    "spec": {"groups": [{"name": str, "rules": [_RULE]}]},
}

KUSTOMIZATION: Shape = {"apiVersion": str, "kind": str, "resources": [str]}

STRUCTURES: dict[tuple[str, str], Shape] = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): SERVICE_MONITOR,
    ("monitoring.coreos.com/v1", "PrometheusRule"): PROMETHEUS_RULE,
    ("serving.kserve.io/v1beta1", "InferenceService"): INFERENCE_SERVICE,
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"): KUSTOMIZATION,
}
