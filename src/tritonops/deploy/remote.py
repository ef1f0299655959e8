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

from tritonops.deploy import history
from tritonops.deploy.remote_client import RemoteClient, WireProtocol
from tritonops.deploy.remote_plan import ModelStep, RolloutPlan, build_plan
from tritonops.deploy.rollout import ModelOutcome, Rollout, StepCallback, Transport
from tritonops.errors import DeployError
from tritonops.redact import redact_url
from tritonops.spec import RemoteTarget

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


@dataclass(frozen=True)
class RemoteDeployResult:
    """What a remote deploy did: the plan, each model's outcome, and how it ended."""

    plan: RolloutPlan
    outcome: str  # success | failed | rolled-back | planned
    models: tuple[ModelOutcome, ...] = ()
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in ("success", "planned")

    def describe(self) -> str:
        lines = [f"remote deploy to {self.plan.url}: {self.outcome}"]
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
    transport: Transport | None = None,
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
    transport: Transport | None = None,
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
        rollout = Rollout(
            plan, transport, smoke=smoke, on_step=on_step, ready_timeout_s=load_timeout_s
        )
        outcomes, failure = rollout.run()
    finally:
        if client is not None:
            client.close()
    if failure is None:
        result = RemoteDeployResult(plan, "success", tuple(outcomes))
    else:
        restored = all(o.state != "not-restored" for o in outcomes)
        result = RemoteDeployResult(
            plan, "rolled-back" if restored else "failed", tuple(outcomes), failure
        )
    if project_root is not None:
        _record(project_root, repository, result)
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


def _record(project_root: Path, repository: Path, result: RemoteDeployResult) -> None:
    names = [m.name for m in result.models] or [s.name for s in result.plan.steps]
    history.append(
        project_root,
        history.DeployRecord(
            target="remote",
            outcome=result.outcome,
            models=history.models_of(repository, names),
            endpoint=result.plan.url,  # never the headers
            detail=result.detail,
        ),
    )
