"""Content hashes: what decides whether a build is up to date."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(path: Path) -> dict[str, str]:
    """sha256 of a file, or of every file under a folder (relative paths, sorted)."""
    if path.is_file():
        return {path.name: file_sha256(path)}
    return {
        p.relative_to(path).as_posix(): file_sha256(p)
        for p in sorted(path.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def key_of(data: Any) -> str:
    """A stable hash of JSON-able data (sorted keys), e.g. a builder's fingerprint."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
