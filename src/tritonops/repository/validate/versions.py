"""Version folders as Triton reads them, and which of them the version policy serves.

Triton's parsing (reference §1): a name must start with a digit; ``01`` is skipped with a warning;
``1.0`` or ``2_old`` is read as its numeric prefix and Triton then opens folder ``1`` / ``2``.
"""

from __future__ import annotations

import re

from tritonops.repository.validate.model import ModelFolder

RESERVED = frozenset({"configs", "warmup", "initial_state"})
_PREFIX = re.compile(r"\d+")
_INT64_MAX = 2**63 - 1


def scan_versions(folder: ModelFolder) -> None:
    """Fill ``folder.versions`` from its subfolders, reporting the ones Triton skips."""
    for name in folder.dirs:
        if name in RESERVED or name == "config.pbtxt" or name.startswith((".", "__")):
            # a config.pbtxt folder is reported by the layout check (TRITON-L016)
            continue
        if not name[0].isdigit():
            folder.report(
                "TRITON-L003",
                f"'{folder.rel(name)}' is not a version folder (names must start with a digit); "
                "Triton skips it",
                "rename it to a version number, or move it out of the model folder",
                file=folder.rel(name),
            )
            continue
        if len(name) > 1 and name[0] == "0":
            folder.report(
                "TRITON-L002",
                f"version folder '{folder.rel(name)}' has a leading zero; Triton skips it",
                f"rename it to '{int(_PREFIX.match(name).group())}'"  # type: ignore[union-attr]
                if name.isdigit()
                else "rename it to a plain version number",
                file=folder.rel(name),
            )
            continue
        number = int(_PREFIX.match(name).group())  # type: ignore[union-attr]
        if number > _INT64_MAX:
            # core src/model_repository_manager/model_lifecycle.cc (VersionsToLoad) parses the
            # name with std::stoll and catches only invalid_argument: the out_of_range thrown
            # here terminates tritonserver (checked on 2.51: the server dies on load).
            folder.report(
                "TRITON-L015",
                f"version folder '{folder.rel(name)}' is a number beyond the int64 range "
                f"(max {_INT64_MAX}); tritonserver crashes while reading the model's versions",
                "rename it to a version number that fits in int64, or move it out of the "
                "model folder",
                file=folder.rel(name),
            )
            continue
        # A pure number wins over a prefixed spelling of the same version.
        if number not in folder.versions or name.isdigit():
            folder.versions[number] = name


def select_versions(folder: ModelFolder) -> None:
    """Apply the version policy (default: latest 1) and report what it cannot select."""
    present = sorted(folder.versions)
    if not present:
        folder.report(
            "TRITON-L001",
            f"model '{folder.name}' has no version folder",
            f"create '{folder.rel('1')}/' holding the model file (an empty '1/' for an ensemble)",
            file=folder.name,
        )
        return
    config = folder.config
    policy = config.version_policy if config is not None else None
    choice = policy.WhichOneof("policy_choice") if policy is not None else None
    if choice == "all":
        folder.selected = present
    elif choice == "specific":
        for i, version in enumerate(policy.specific.versions):  # type: ignore[union-attr]
            if version in folder.versions:
                folder.selected.append(version)
            else:
                folder.report(
                    "TRITON-V001",
                    f"version_policy of '{folder.name}' lists version {version}, but there is "
                    f"no folder '{folder.rel(str(version))}'",
                    f"create '{folder.rel(str(version))}/' or drop {version} from the list "
                    f"(present: {_list(present)})",
                    path=f"version_policy.specific.versions[{i}]",
                )
    else:
        count = policy.latest.num_versions if choice == "latest" else 1  # type: ignore[union-attr]
        folder.selected = present[::-1][: max(count, 0)]
    if not folder.selected:
        folder.report(
            "TRITON-V002",
            f"the version_policy of '{folder.name}' selects no version "
            f"(present: {_list(present)}); Triton refuses to load it",
            "list versions that exist, use `latest { num_versions: 1 }`, or add the version folder",
            path="version_policy",
        )
    _misread(folder)


def _misread(folder: ModelFolder) -> None:
    """Folders like ``1.0``: Triton reads version 1, then opens ``1``, which is not there."""
    for version, name in sorted(folder.versions.items()):
        if name.isdigit():
            continue
        served = version in folder.selected
        folder.report(
            "TRITON-L004",
            f"version folder '{folder.rel(name)}' is read by Triton as version {version}, "
            f"which then looks in '{folder.rel(str(version))}/' — a folder that does not exist"
            + ("" if served else " (not served by the version policy)"),
            f"rename '{name}' to '{version}'",
            file=folder.rel(name),
            severity="error" if served else "warning",
        )


def _list(versions: list[int]) -> str:
    return ", ".join(str(v) for v in versions) or "none"
