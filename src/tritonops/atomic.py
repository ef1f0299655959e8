"""Whole folders replaced atomically: what tritonops writes is built aside, then swapped in.

Used for model repositories and Kubernetes manifests alike: the previous folder stays in place
until the new one is complete, and a folder tritonops did not write (no marker file) is refused,
so pointing an output at the wrong place never deletes anyone's files.
"""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

from tritonops.errors import TritonOpsError


def check_replaceable(root: Path, marker: str, error: type[TritonOpsError]) -> None:
    """Raise ``error`` unless ``root`` is absent, empty, or carries tritonops's ``marker``."""
    if not root.exists() and not root.is_symlink():
        return
    if root.is_symlink():
        raise error(
            f"{root} is a symbolic link — point the output at the folder itself "
            f"({root.resolve()}), so the swap replaces that folder and not the link"
        )
    if not root.is_dir():
        raise error(
            f"{root} exists and is not a folder — choose another output folder, or remove it"
        )
    if (root / marker).is_file() or not any(root.iterdir()):
        return
    raise error(
        f"refusing to replace {root}: it is not empty and tritonops did not write it (no {marker} "
        "file) — point the output at an empty or new folder, or empty this one yourself"
    )


def swap_directory(staged: Path, root: Path) -> None:
    """Put ``staged`` at ``root``; the old ``root`` is renamed aside first, restored on failure."""
    if not root.exists():
        staged.rename(root)
        return
    aside = root.parent / f".{root.name}.tritonops-old-{secrets.token_hex(4)}"
    root.rename(aside)
    try:
        staged.rename(root)
    except BaseException:
        aside.rename(root)
        raise
    shutil.rmtree(aside, ignore_errors=True)
