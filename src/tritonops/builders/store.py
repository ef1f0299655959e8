"""The build store: each model's artifact under ``.tritonops/build/<model>/``, replaced atomically.

A build writes into a fresh folder beside the store entry and is swapped in only when it finished,
so a failed or killed build leaves the previous artifact (and its lineage) untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tritonops.builders.hashing import file_sha256

BUILD_DIR = Path(".tritonops") / "build"


def artifact_dir(project_root: Path, model: str) -> Path:
    return project_root / BUILD_DIR / model


def artifacts_match(folder: Path, expected: dict[str, str]) -> bool:
    """Every recorded file is there with the recorded sha256 (so a tampered store rebuilds)."""
    if not expected or not folder.is_dir():
        return False
    return all(
        (folder / name).is_file() and file_sha256(folder / name) == digest
        for name, digest in expected.items()
    )


@contextmanager
def staging(project_root: Path, model: str) -> Iterator[Path]:
    """A work dir for one build; on success it replaces the model's store entry atomically."""
    target = artifact_dir(project_root, model)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{model}.building-", dir=target.parent))
    try:
        yield work
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{model}.old-", dir=target.parent))
            os.replace(target, old / "artifact")
        os.replace(work, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def clean_leftovers(project_root: Path) -> None:
    """Remove work dirs of builds that were killed (they never became a store entry)."""
    base = project_root / BUILD_DIR
    if base.is_dir():
        for leftover in base.glob(".*.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for leftover in base.glob(".*.old-*"):
            # killed between the two renames: put the previous artifact back
            model = leftover.name[1:].split(".old-", 1)[0]
            previous = leftover / "artifact"
            if previous.is_dir() and not artifact_dir(project_root, model).exists():
                os.replace(previous, artifact_dir(project_root, model))
            shutil.rmtree(leftover, ignore_errors=True)
