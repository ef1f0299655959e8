"""What a remote deploy will do: the local repository compared with what the remote serves.

Triton cannot hand back the files it serves, so every config tritonops loads carries digests in its
``parameters`` (``tritonops.config_sha256``, ``tritonops.files_sha256.<version>``,
``tritonops.files_sha256.root``). The served config returns them, which is how an unchanged model
is recognised as unchanged. A model without them (loaded by someone else) is always reloaded.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from google.protobuf import json_format

from tritonops.errors import ConfigParseError, DeployError
from tritonops.model_config import parse_text, to_text

Action = Literal["load", "rollout", "reload", "skip"]
DIGEST_PREFIX = "tritonops."
CONFIG_DIGEST = "tritonops.config_sha256"
ROOT_DIGEST = "tritonops.files_sha256.root"
_SKIPPED_ROOT = {"config.pbtxt", "configs", "__pycache__"}


def version_digest_key(version: int) -> str:
    return f"tritonops.files_sha256.{version}"


class RemoteView(Protocol):
    """The reads a plan needs from a server (``RemoteClient`` or a fake in tests)."""

    def ready_versions(self, model: str) -> list[int]: ...

    def served_config(self, model: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class LocalModel:
    """One model folder of the local repository, as the remote will receive it."""

    name: str
    folder: Path
    message: Any  # inference.ModelConfig parsed from config.pbtxt
    wanted: tuple[int, ...]  # versions the config's version policy selects
    files: dict[str, bytes] = field(repr=False)  # load parameter name -> content
    digests: dict[str, str]

    @property
    def is_ensemble(self) -> bool:
        return bool(self.message.platform == "ensemble")

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(s.model_name for s in self.message.ensemble_scheduling.step)

    def config_json(self, name: str | None = None, digests: bool = True) -> str:
        """The ``config`` load parameter: proto-JSON with proto field names, digests added."""
        message = copy.deepcopy(self.message)
        message.name = name or self.name
        if digests:
            for key, value in self.digests.items():
                message.parameters[key].string_value = value
        return str(json_format.MessageToJson(message, preserving_proto_field_name=True))


@dataclass(frozen=True)
class RemoteModel:
    """What the remote serves for one model name before the deploy."""

    name: str
    versions: tuple[int, ...]
    config: dict[str, Any] | None

    @property
    def digests(self) -> dict[str, str]:
        params = (self.config or {}).get("parameters", {})
        return {
            key: str(value.get("string_value", "")) if isinstance(value, dict) else str(value)
            for key, value in params.items()
            if key.startswith(DIGEST_PREFIX)
        }


@dataclass(frozen=True)
class ModelStep:
    """The decision for one model."""

    name: str
    action: Action
    from_versions: tuple[int, ...]
    to_versions: tuple[int, ...]
    file_count: int
    size_bytes: int
    reason: str

    def describe(self) -> str:
        before = ",".join(map(str, self.from_versions)) or "-"
        after = ",".join(map(str, self.to_versions)) or "-"
        size = _size(self.size_bytes)
        return (
            f"{self.name}: {self.action} v{before} -> v{after} "
            f"({self.file_count} file(s), {size}) — {self.reason}"
        )


@dataclass(frozen=True)
class RolloutPlan:
    """Every model's decision, in load order (ensembles after their steps)."""

    url: str
    protocol: str
    steps: tuple[ModelStep, ...]
    local: dict[str, LocalModel] = field(repr=False)
    remote: dict[str, RemoteModel] = field(repr=False)

    @property
    def changes(self) -> tuple[ModelStep, ...]:
        return tuple(s for s in self.steps if s.action != "skip")

    def describe(self) -> str:
        head = f"remote deploy to {self.url} ({self.protocol}): {len(self.changes)} change(s)"
        return "\n".join([head, *(f"  {s.describe()}" for s in self.steps)])

    def __str__(self) -> str:
        return self.describe()


def read_local_model(folder: Path) -> LocalModel:
    """Read one model folder: its config, the versions its policy wants, and their files."""
    config_path = folder / "config.pbtxt"
    if not config_path.is_file():
        raise DeployError(
            f"{config_path} is missing — a remote load needs a config; render the repository first"
        )
    try:
        message = parse_text(config_path.read_text(), str(config_path))
    except ConfigParseError as exc:
        raise DeployError(f"{exc} — fix the config before deploying") from exc
    for key in [k for k in message.parameters if k.startswith(DIGEST_PREFIX)]:
        del message.parameters[key]  # ours to set; a copied served config must not fake them
    message.name = folder.name
    present = sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and _is_version(p.name))
    wanted = _select(message, present)
    if not wanted:
        raise DeployError(
            f"{folder}: the version policy selects none of the version folders "
            f"{present or '(none)'} — add a numbered version folder or fix version_policy"
        )
    files: dict[str, bytes] = {}
    digests = {CONFIG_DIGEST: _sha(to_text(message).encode())}
    root = _root_files(folder)
    files.update(root)
    digests[ROOT_DIGEST] = files_digest(root)
    for version in wanted:
        found = _version_files(folder, version, message.platform == "ensemble") or {}
        files.update(found)
        digests[version_digest_key(version)] = files_digest(found)
    return LocalModel(folder.name, folder, message, tuple(wanted), files, digests)


def version_files(model: LocalModel, version: int) -> dict[str, bytes] | None:
    """The files of one version folder, or None when the local repository lacks it."""
    return _version_files(model.folder, version, model.is_ensemble)


def root_files(model: LocalModel) -> dict[str, bytes]:
    return _root_files(model.folder)


def _version_files(folder: Path, version: int, ensemble: bool) -> dict[str, bytes] | None:
    path = folder / str(version)
    if not path.is_dir():
        return None
    found = _tree(path, f"{version}/")
    if not found and ensemble:
        # Triton needs the version folder; an override can only create it through a file
        found = {f"file:{version}/.tritonops": b""}
    return found


def read_remote_model(remote: RemoteView, name: str) -> RemoteModel:
    versions = tuple(remote.ready_versions(name))
    config = remote.served_config(name) if versions else None
    return RemoteModel(name, versions, config)


def decide(local: LocalModel, remote: RemoteModel) -> tuple[Action, str]:
    """load, rollout, reload or skip, with the reason a user reads in the plan."""
    if not remote.versions:
        return "load", "not served on the remote"
    served = remote.digests
    if not served:
        return "reload", "served without tritonops digests (loaded by other means)"
    if served == local.digests and remote.versions == local.wanted:
        return "skip", "same config, same files, same versions"
    if max(local.wanted) > max(remote.versions):
        return "rollout", f"new version {max(local.wanted)}"
    changed = []
    if served.get(CONFIG_DIGEST) != local.digests[CONFIG_DIGEST]:
        changed.append("config")
    if served.get(ROOT_DIGEST) != local.digests[ROOT_DIGEST]:
        changed.append("model-root files")
    changed += [
        f"files of version {v}"
        for v in local.wanted
        if served.get(version_digest_key(v)) != local.digests[version_digest_key(v)]
    ]
    if remote.versions != local.wanted:
        changed.append("served versions")
    return "reload", " and ".join(changed) + " changed"


def build_plan(
    repository: Path,
    remote: RemoteView,
    *,
    url: str,
    protocol: str,
    models: list[str] | None = None,
) -> RolloutPlan:
    """Compare the local repository with the remote and decide per model."""
    if not repository.is_dir():
        raise DeployError(f"model repository {repository} is not a folder — render it first")
    folders = {p.name: p for p in repository.iterdir() if p.is_dir() and not p.name.startswith(".")}
    names = sorted(folders) if models is None else list(models)
    unknown = [n for n in names if n not in folders]
    if unknown:
        raise DeployError(
            f"model(s) {', '.join(unknown)} not in {repository} — "
            f"choose from {', '.join(sorted(folders)) or '(none)'}"
        )
    local = {name: read_local_model(folders[name]) for name in names}
    state = {name: read_remote_model(remote, name) for name in names}
    steps = []
    for name in load_order(local):
        model, served = local[name], state[name]
        action, reason = decide(model, served)
        steps.append(
            ModelStep(
                name,
                action,
                served.versions,
                model.wanted,
                len(model.files),
                sum(len(b) for b in model.files.values()),
                reason,
            )
        )
    return RolloutPlan(url, protocol, tuple(steps), local, state)


def on_disk(index: list[dict[str, str]]) -> set[str]:
    """The model names the server's own repository folders hold (from its repository index)."""
    return {entry["name"] for entry in index if entry.get("name")}


def ensemble_blockers(plan: RolloutPlan, server_models: set[str]) -> list[str]:
    """Why an ensemble this plan loads cannot load on the server; [] when nothing blocks.

    Loading an ensemble makes Triton poll each of its steps by name from the server's own model
    repository, without overrides (Triton core, ``ModelRepositoryManager::PollModels``: "a polling
    chain is needed if the polled model is ensemble"); a step that is not there fails the whole
    load with "failed to poll from model repository" (measured on 2.51 with the step loaded
    through overrides just before). No order of loads avoids that poll, so such a plan is refused
    before anything changes. ``server_models`` comes from ``on_disk`` (the repository index).
    """
    problems = []
    for step in plan.changes:
        model = plan.local[step.name]
        missing = [name for name in model.steps if name not in server_models]
        if model.is_ensemble and missing:
            problems.append(
                f"ensemble {step.name} cannot be loaded on {plan.url}: Triton loads an "
                f"ensemble's steps from the server's own model repository, and "
                f"{', '.join(missing)} is not there (a model sent as file overrides does not "
                "count) — put the step model(s) into the server's repository (a shared or "
                "baked-in model folder), or leave the ensemble out of this deploy (--model)"
            )
    return problems


def load_order(models: Mapping[str, LocalModel]) -> list[str]:
    """Plain models first, then ensembles after every step they name (depth-first)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name not in models:
            return
        if name in visiting:
            raise DeployError(f"ensembles {name!r} and its steps form a cycle — break the cycle")
        visiting.add(name)
        for step in models[name].steps:
            visit(step)
        visiting.discard(name)
        order.append(name)

    for name in sorted(models, key=lambda n: (models[n].is_ensemble, n)):
        visit(name)
    return order


def _select(message: Any, present: list[int]) -> list[int]:
    policy = message.version_policy
    kind = policy.WhichOneof("policy_choice") if message.HasField("version_policy") else None
    if kind == "all":
        return present
    if kind == "specific":
        return [v for v in present if v in set(policy.specific.versions)]
    count = policy.latest.num_versions if kind == "latest" else 1
    return present[-max(count, 1) :] if present else []


def _is_version(name: str) -> bool:
    # Triton skips leading zeros; a name like "1.0" is read as 1 but opened as "1" (reference §1)
    return name.isdigit() and (name == "0" or not name.startswith("0"))


def _root_files(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name in _SKIPPED_ROOT or entry.name.startswith(".") or _is_version(entry.name):
            continue
        files.update(_tree(entry, "") if entry.is_file() else _tree(entry, f"{entry.name}/"))
    return files


def _tree(path: Path, prefix: str) -> dict[str, bytes]:
    """``file:<prefix><relative path>`` -> bytes for a file or every file below a folder."""
    if path.is_file():
        return {f"file:{prefix}{path.name}": path.read_bytes()}
    found = {}
    for item in sorted(path.rglob("*")):
        relative = item.relative_to(path)
        if item.is_file() and not any(
            part.startswith(".") or part == "__pycache__" for part in relative.parts
        ):
            found[f"file:{prefix}{relative.as_posix()}"] = item.read_bytes()
    return found


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_digest(files: Mapping[str, bytes]) -> str:
    lines = [f"{name.split('/', 1)[-1]}\0{_sha(data)}" for name, data in sorted(files.items())]
    return _sha("\n".join(lines).encode())


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{count} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"
