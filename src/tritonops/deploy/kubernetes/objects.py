"""What every rendered object shares: its name, its labels, and the comment written above it.

Every object takes one name, the project folder's name made a DNS-1035 label (lower-case letters,
digits and '-', starting with a letter): Services demand that stricter form, and using it for all
kinds keeps ``kubectl get all -l app.kubernetes.io/name=<name>`` simple.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# KServe appends suffixes such as "-predictor-00001-deployment" to the InferenceService name to
# name what it creates; 45 characters leaves room for them inside the 63-character label limit.
MAX_NAME = 45
FALLBACK_NAME = "triton"
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?\Z")
PART_OF = "tritonops"

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Rendered:
    """One object and the lines of explanation written above it in its file."""

    manifest: Manifest
    comment: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return str(self.manifest["kind"])

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])

    @property
    def filename(self) -> str:
        return f"{self.kind.lower()}-{self.name}.yaml"


def object_name(text: str) -> str:
    """``text`` as a DNS-1035 label: ``My_Project.v2`` → ``my-project-v2``, ``7`` → ``triton-7``."""
    name = _NOT_ALLOWED.sub("-", text.lower()).strip("-")
    if not name:
        return FALLBACK_NAME
    if not name[0].isalpha():
        name = f"{FALLBACK_NAME}-{name}"
    return name[:MAX_NAME].rstrip("-")


def selector_labels(name: str) -> dict[str, str]:
    """The labels a selector matches; kept minimal because a Deployment's selector is immutable."""
    return {"app.kubernetes.io/name": name}


def common_labels(name: str) -> dict[str, str]:
    return {
        **selector_labels(name),
        "app.kubernetes.io/component": "inference-server",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": PART_OF,
    }


def metadata(name: str, namespace: str, **extra: dict[str, str]) -> Manifest:
    """``metadata`` of a top-level object; ``extra`` adds e.g. ``annotations``."""
    return {"name": name, "namespace": namespace, "labels": common_labels(name), **extra}
