"""Release awareness: which Triton release a config needs, checked against the target release."""

from __future__ import annotations

import re
from typing import Any

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.newest_schema import PINNED_RELEASE
from tritonops.repository.validate.releases import FIELDS, INTRODUCED, NEWEST_RELEASE

# the newest release that introduced a field: a target at or above it needs no walk of the config
_LAST_ADDITION = max(release for _, _, release, _ in FIELDS)
# the proto's first release in triton-inference-server/common: "21.05" there means "or earlier",
# so such fields are never reported (the exact release is not known)
_FIRST_TRACKED = min(release for _, _, release, _ in FIELDS)


def schema_label(release: str | None) -> str:
    """How reports name the schema used: the target release and the schema's own release."""
    target = release or NEWEST_RELEASE
    label = f"Triton {NEWEST_RELEASE} model_config"
    return label if target == NEWEST_RELEASE else f"{label}, checked for Triton {target}"


# the release of the tritonserver validate --load starts by default: Triton 2.51.0 from the
# nvidia-pytriton 0.7.0 wheel (docs: reference/runtime.md), i.e. the 24.10 release
EMBEDDED_SERVER_RELEASE = "24.10"


def load_server_note(target: str | None, tritonserver: str | None = None) -> str:
    """What a report says about the server behind ``validate --load`` when it is not the target.

    The static checks follow ``target`` (the release schema); the load verdict is whatever the
    server that ran says, so the report names that server when it may differ from the target.
    """
    if tritonserver is not None:
        if target is None:
            return ""
        return (
            f"verdict of the tritonserver at {tritonserver}, whose release is not checked "
            f"against the target Triton {target}"
        )
    if target is None or target == EMBEDDED_SERVER_RELEASE:
        return ""
    return (
        f"verdict of the embedded tritonserver 2.51 (Triton {EMBEDDED_SERVER_RELEASE}), not of "
        f"the target Triton {target}; the static checks used the {target} schema"
    )


def release_key(release: str) -> tuple[int, int]:
    """ "24.09" -> (24, 9); raises ValueError on anything else."""
    match = re.fullmatch(r"(\d{2})\.(\d{2})", release.strip())
    if not match:
        raise ValueError(f"not a Triton release: {release!r} (expected YY.MM, e.g. 24.09)")
    return int(match.group(1)), int(match.group(2))


def release_of_image(image: str) -> str | None:
    """The Triton release of an image reference (``.../tritonserver:24.10-py3`` -> "24.10")."""
    tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
    match = re.match(r"(\d{2}\.\d{2})(?:$|-)", tag)
    return match.group(1) if match else None


def project_release(project: Any) -> str | None:
    """The Triton release a project deploys to: its kubernetes target's image tag, if any."""
    kubernetes = getattr(getattr(project, "targets", None), "kubernetes", None)
    image = getattr(kubernetes, "image", None)
    return release_of_image(image) if isinstance(image, str) else None


def check_release(folder: ModelFolder, release: str) -> None:
    """Report every field of the config that ``release`` of Triton does not know."""
    config = folder.config
    target = release_key(release)
    if config is None or target >= release_key(_LAST_ADDITION):
        return
    seen: set[str] = set()
    flagged: list[str] = []
    for path, where in _set_fields(config, ""):
        if any(where.startswith((f"{f}.", f"{f}[")) for f in flagged):
            continue  # inside a field already reported
        introduced = INTRODUCED.get(path)
        if introduced is None or introduced[0] == _FIRST_TRACKED or path in seen:
            continue
        if release_key(introduced[0]) <= target:
            continue
        seen.add(path)
        flagged.append(where)
        field = path.rsplit(".", 1)[1]
        folder.report(
            "TRITON-S010",
            f"`{where}` needs Triton {introduced[0]} or newer (model_config.proto field "
            f"{path}, commit {introduced[1]} of triton-inference-server/common); Triton "
            f"{release} rejects the config as unparseable",
            f"remove `{field}` or target Triton >= {introduced[0]} (--triton-version)",
            path=where,
        )


def _set_fields(message: Any, prefix: str) -> list[tuple[str, str]]:
    """(message path . field, config path) of every field set in ``message``, recursively."""
    out: list[tuple[str, str]] = []
    owner = message.DESCRIPTOR.full_name.partition(".")[2]
    for field, value in message.ListFields():
        where = f"{prefix}.{field.name}" if prefix else field.name
        out.append((f"{owner}.{field.name}", where))
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            items = (
                value.values() if field.message_type.fields_by_name["value"].message_type else []
            )
            for item in items:
                out.extend(_set_fields(item, where))
        elif field.label == field.LABEL_REPEATED:
            for i, item in enumerate(value):
                out.extend(_set_fields(item, f"{where}[{i}]"))
        else:
            out.extend(_set_fields(value, where))
    return out


__all__ = [
    "NEWEST_RELEASE",
    "PINNED_RELEASE",
    "check_release",
    "release_key",
    "release_of_image",
]
