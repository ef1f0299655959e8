"""Lineage: what each built version was made from, with which options and tools, and its output."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tritonops.builders.base import ParityResult
from tritonops.errors import BuildError

LINEAGE_DIR = Path(".tritonops") / "lineage"


@dataclass(frozen=True)
class LineageRecord:
    """One built version: its inputs (fingerprint, cache key) and outputs (artifact hashes)."""

    model: str
    version: int
    kind: str
    key: str
    fingerprint: dict[str, Any]
    artifacts: dict[str, str]  # file -> sha256
    tools: dict[str, str] = field(default_factory=dict)
    parity: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()
    built_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())

    @staticmethod
    def parity_of(result: ParityResult | None) -> dict[str, Any] | None:
        return asdict(result) if result is not None else None


def lineage_path(project_root: Path, model: str, version: int) -> Path:
    return project_root / LINEAGE_DIR / model / f"{version}.json"


def write(project_root: Path, record: LineageRecord) -> Path:
    """Write atomically: a killed build never leaves a torn record."""
    path = lineage_path(project_root, record.model, record.version)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".lineage-", suffix=".json")
    with os.fdopen(fd, "w") as handle:
        json.dump(asdict(record), handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def read(project_root: Path, model: str, version: int) -> LineageRecord | None:
    path = lineage_path(project_root, model, version)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        data["notes"] = tuple(data.get("notes", ()))
        return LineageRecord(**data)
    except (ValueError, TypeError) as exc:
        raise BuildError(f"{path}: not a lineage record ({exc}) — delete it to rebuild") from exc


def read_all(project_root: Path, model: str | None = None) -> list[LineageRecord]:
    base = project_root / LINEAGE_DIR
    if not base.is_dir():
        return []
    records = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if model is not None and folder.name != model:
            continue
        for file in sorted(
            folder.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0
        ):
            if file.stem.isdigit():
                record = read(project_root, folder.name, int(file.stem))
                if record is not None:
                    records.append(record)
    return records
