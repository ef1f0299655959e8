"""The deploy history of a project: one JSON line per deploy, appended, never rewritten."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args

from tritonops.errors import DeployError

HISTORY_FILE = Path(".tritonops") / "history.jsonl"
Target = Literal["local", "remote", "kubernetes"]
# "in-progress" is written before a deploy changes anything; the final record of the same id
# follows it. An in-progress record that no final record follows reads back as "interrupted".
Outcome = Literal["success", "failed", "rolled-back", "planned", "in-progress", "interrupted"]


@dataclass(frozen=True)
class DeployedModel:
    name: str
    versions: tuple[int, ...]
    config_sha256: str


@dataclass(frozen=True)
class DeployRecord:
    """One deploy: where, what (with config hashes), and how it ended."""

    target: Target
    outcome: Outcome
    models: tuple[DeployedModel, ...] = ()
    endpoint: str = ""
    detail: str = ""
    time: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())
    deploy_id: str = ""  # ties an in-progress record to the final one
    staged: tuple[str, ...] = ()  # staging model names the deploy may load on the server

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def new_deploy_id() -> str:
    return uuid.uuid4().hex


def config_hash(path: Path) -> str:
    """sha256 of a model's config.pbtxt ('' when it has none)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def models_of(repository: Path, names: Iterable[str] | None = None) -> tuple[DeployedModel, ...]:
    """What a repository holds: each model's numeric versions and its config hash."""
    folders = sorted(p for p in repository.iterdir() if p.is_dir() and not p.name.startswith("."))
    wanted = set(names) if names is not None else None
    models = []
    for folder in folders:
        if wanted is not None and folder.name not in wanted:
            continue
        versions = tuple(sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()))
        models.append(DeployedModel(folder.name, versions, config_hash(folder / "config.pbtxt")))
    return tuple(models)


def history_path(project_root: Path) -> Path:
    return project_root / HISTORY_FILE


def append(project_root: Path, record: DeployRecord) -> Path:
    """Append one record; a single write of one line keeps concurrent appends whole."""
    path = history_path(project_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (record.to_json() + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return path


def read(project_root: Path) -> list[DeployRecord]:
    path = history_path(project_root)
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            data["models"] = tuple(
                DeployedModel(m["name"], tuple(m["versions"]), m["config_sha256"])
                for m in data.get("models", [])
            )
            data["staged"] = tuple(str(s) for s in data.get("staged", []))
            if data.get("outcome") not in get_args(Outcome):
                raise ValueError(f"unknown outcome {data.get('outcome')!r}")
            if data.get("target") not in get_args(Target):
                raise ValueError(f"unknown target {data.get('target')!r}")
            records.append(DeployRecord(**data))
        except (ValueError, KeyError, TypeError) as exc:
            raise DeployError(
                f"{path}:{number}: not a deploy record ({exc}) — fix or delete that line"
            ) from exc
    return _settle(records)


def _settle(records: list[DeployRecord]) -> list[DeployRecord]:
    """One record per deploy: a final record replaces its in-progress one; an in-progress
    record without a final one is a deploy that was killed (or still runs): "interrupted"."""
    finished = {r.deploy_id for r in records if r.deploy_id and r.outcome != "in-progress"}
    settled = []
    for record in records:
        if record.outcome != "in-progress":
            settled.append(record)
        elif record.deploy_id not in finished:
            settled.append(replace(record, outcome="interrupted"))
    return settled
