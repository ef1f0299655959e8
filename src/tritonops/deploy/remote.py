"""Deploy a model repository to a remote Triton through its repository API.

The remote runs in explicit model-control mode and needs no shared filesystem: each model arrives
as a config override plus file overrides (``file:1/model.onnx``, ``file:labels.txt``). See
``remote_plan`` for how changes are detected and ``rollout`` for the staged, smoke-tested switch
and the rollback. Header values (tokens) are sent on every call and never written anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tritonops.deploy import history
from tritonops.deploy.remote_plan import (
    ModelStep,
    RolloutPlan,
    build_plan,
    ensemble_blockers,
    on_disk,
)
from tritonops.deploy.rollout import (
    CANARY_SUFFIX,
    ModelOutcome,
    Rollout,
    RolloutCalls,
    StepCallback,
)
from tritonops.errors import DeployError
from tritonops.redact import redact_url
from tritonops.spec import RemoteTarget
from tritonops.triton.remote import RemoteClient, WireProtocol

__all__ = [
    "ModelOutcome",
    "ModelStep",
    "RemoteDeployFailed",
    "RemoteDeployResult",
    "RemoteTarget",
    "RolloutPlan",
    "deploy_remote",
    "plan_remote",
]


RemoteOutcome = Literal["success", "failed", "rolled-back", "planned"]


@dataclass(frozen=True)
class RemoteDeployResult:
    """What a remote deploy did: the plan, each model's outcome, and how it ended."""

    plan: RolloutPlan
    outcome: RemoteOutcome
    models: tuple[ModelOutcome, ...] = ()
    detail: str = ""
    removed_leftovers: tuple[str, ...] = ()  # staging models an interrupted deploy left behind

    @property
    def ok(self) -> bool:
        return self.outcome in ("success", "planned")

    def describe(self) -> str:
        lines = [f"remote deploy to {self.plan.url}: {self.outcome}"]
        lines += [
            f"  {name}: removed (a staging model an interrupted deploy left loaded)"
            for name in self.removed_leftovers
        ]
        lines += [f"  {m.name}: {m.action} -> {m.state} ({m.detail})" for m in self.models]
        if self.detail and not self.ok:
            lines.append(f"  why: {self.detail}")
        return "\n".join(lines)


class RemoteDeployFailed(DeployError):
    """A remote deploy failed (after its rollback); ``result`` holds every model's outcome."""

    def __init__(self, message: str, result: RemoteDeployResult) -> None:
        super().__init__(message)
        self.result = result


def plan_remote(
    repository: Path,
    url: str | RemoteTarget,
    *,
    protocol: WireProtocol = "http",
    ssl: bool = False,
    headers: Mapping[str, str] | None = None,
    models: list[str] | None = None,
    timeout_s: float = 30.0,
    transport: RolloutCalls | None = None,
) -> RolloutPlan:
    """Read the local repository and the remote's state; decide per model (no changes made).

    ``url`` may be the project's ``targets.remote``; its protocol, TLS and headers then apply.
    """
    if isinstance(url, RemoteTarget):
        target = url
        url, protocol, ssl, headers = target.url, target.protocol, target.ssl, target.headers
    if transport is not None:
        return build_plan(
            repository, transport, url=redact_url(url), protocol=protocol, models=models
        )
    with RemoteClient(
        url, protocol=protocol, ssl=ssl, headers=headers, timeout_s=timeout_s
    ) as client:
        client.check_live()
        return build_plan(repository, client, url=client.url, protocol=protocol, models=models)


def deploy_remote(
    repository: Path,
    url: str | RemoteTarget,
    *,
    protocol: WireProtocol = "http",
    ssl: bool = False,
    headers: Mapping[str, str] | None = None,
    models: list[str] | None = None,
    dry_run: bool = False,
    smoke: bool = True,
    on_step: StepCallback | None = None,
    project_root: Path | None = None,
    timeout_s: float = 30.0,
    load_timeout_s: float = 300.0,
    transport: RolloutCalls | None = None,
) -> RemoteDeployResult:
    """Plan, then (unless ``dry_run``) roll out every changed model; raise after a rollback.

    ``transport`` replaces the tritonclient connection (tests pass a fake). A failure raises
    ``RemoteDeployFailed`` (a ``DeployError``) once every changed model was put back. ``url``
    may be the project's ``targets.remote``; its protocol, TLS and headers then apply.
    """
    if isinstance(url, RemoteTarget):
        target = url
        url, protocol, ssl, headers = target.url, target.protocol, target.ssl, target.headers
    client: RemoteClient | None = None
    if transport is None:
        client = RemoteClient(
            url,
            protocol=protocol,
            ssl=ssl,
            headers=headers,
            timeout_s=timeout_s,
            load_timeout_s=load_timeout_s,
        )
        transport = client
    try:
        try:
            if client is not None:
                client.check_live()
            shown = redact_url(url)  # what is printed and recorded: never the credentials
            plan = build_plan(repository, transport, url=shown, protocol=protocol, models=models)
        except DeployError as exc:
            if project_root is not None:
                record = history.DeployRecord(
                    "remote", "failed", endpoint=redact_url(url), detail=str(exc)
                )
                history.append(project_root, record)
            raise
        if dry_run:
            return RemoteDeployResult(plan, "planned", detail=plan.describe())
        blockers = _blockers(plan, transport)
        if blockers:
            message = "; ".join(blockers)
            if project_root is not None:
                record = history.DeployRecord("remote", "failed", endpoint=url, detail=message)
                history.append(project_root, record)
            raise DeployError(f"nothing was changed: {message}")
        deploy_id = history.new_deploy_id()
        staged = tuple(s.name + CANARY_SUFFIX for s in plan.changes if s.action != "load")
        if project_root is not None:
            _start_record(project_root, repository, plan, deploy_id, staged)
        try:
            removed = remove_leftovers(plan, transport, project_root, on_step, deploy_id)
        except DeployError as exc:
            if project_root is not None:
                record = history.DeployRecord(
                    "remote", "failed", endpoint=url, detail=str(exc), deploy_id=deploy_id
                )
                history.append(project_root, record)
            raise
        rollout = Rollout(
            plan, transport, smoke=smoke, on_step=on_step, ready_timeout_s=load_timeout_s
        )
        outcomes, failure = rollout.run()
    finally:
        if client is not None:
            client.close()
    if failure is None:
        result = RemoteDeployResult(plan, "success", tuple(outcomes), removed_leftovers=removed)
    else:
        restored = all(o.state != "not-restored" for o in outcomes)
        outcome: RemoteOutcome = "rolled-back" if restored else "failed"
        result = RemoteDeployResult(plan, outcome, tuple(outcomes), failure, removed)
    if project_root is not None:
        _record(project_root, repository, result, deploy_id)
    if failure is not None:
        raise RemoteDeployFailed(_failure_message(result), result)
    return result


def _failure_message(result: RemoteDeployResult) -> str:
    lines = [f"remote deploy to {result.plan.url} {result.outcome}: {result.detail}"]
    lines += [
        f"  {m.name}: {m.state} — {m.detail}"
        for m in result.models
        if m.state in ("rolled-back", "not-restored")
    ]
    if result.outcome == "failed":
        lines.append("  some models could not be restored; see each one above")
    return "\n".join(lines)


def _blockers(plan: RolloutPlan, transport: RolloutCalls) -> list[str]:
    """Reasons the plan cannot work on this server, found before anything changes."""
    if not any(plan.local[s.name].is_ensemble for s in plan.changes):
        return []
    return ensemble_blockers(plan, on_disk(transport.repository_index()))


def remove_leftovers(
    plan: RolloutPlan,
    transport: RolloutCalls,
    project_root: Path | None,
    on_step: StepCallback | None,
    deploy_id: str = "",
) -> tuple[str, ...]:
    """Unload staging models an interrupted deploy left loaded; returns their names.

    Candidates are the staging names of this plan's models and those an interrupted deploy of
    this project recorded. The repository index cannot find them: it lists only models of the
    server's own repository folders, and staging models exist only through overrides.
    """
    candidates = {name + CANARY_SUFFIX for name in plan.local}
    if project_root is not None:
        earlier = [
            r
            for r in history.read(project_root)
            if r.endpoint == plan.url and r.target == "remote" and r.deploy_id != deploy_id
        ]
        for record in earlier:
            if record.outcome == "interrupted":
                candidates.update(record.staged)
        if earlier and earlier[-1].outcome == "interrupted" and on_step is not None:
            on_step(
                "deploy",
                f"the previous deploy to {plan.url} ({earlier[-1].time[:19]}) was interrupted; "
                "this one starts from what the server serves now",
            )
    removed = []
    for name in sorted(candidates):
        if not transport.ready_versions(name):
            continue
        transport.unload(name)
        removed.append(name)
        if on_step is not None:
            on_step(name, "removed a staging model an interrupted deploy left loaded")
    return tuple(removed)


def _start_record(
    project_root: Path,
    repository: Path,
    plan: RolloutPlan,
    deploy_id: str,
    staged: tuple[str, ...],
) -> None:
    """The record a killed deploy leaves: it reads back as "interrupted", with what it staged."""
    history.append(
        project_root,
        history.DeployRecord(
            target="remote",
            outcome="in-progress",
            models=history.models_of(repository, [s.name for s in plan.changes]),
            endpoint=plan.url,  # never the headers
            detail=plan.describe(),
            deploy_id=deploy_id,
            staged=staged,
        ),
    )


def _record(
    project_root: Path, repository: Path, result: RemoteDeployResult, deploy_id: str
) -> None:
    names = [m.name for m in result.models] or [s.name for s in result.plan.steps]
    history.append(
        project_root,
        history.DeployRecord(
            target="remote",
            outcome=result.outcome,
            models=history.models_of(repository, names),
            endpoint=result.plan.url,  # never the headers
            detail=result.detail,
            deploy_id=deploy_id,
        ),
    )
