"""Carry out a ``RolloutPlan`` on a remote Triton, with staging, smoke tests and rollback.

A changed model is never exposed to traffic before it answered a smoke inference: the new config
and files load first under a staging name (``<model>.tritonops-canary``), are smoked there and
unloaded; only then does the real model reload. Triton loads the new versions before it drops the
old ones, and a failed reload leaves the old version serving, so clients see no gap.

Staging under another name rather than next to the old version matters: with
``specific { versions: [M, N] }`` Triton routes unversioned requests to N as soon as N is READY,
before any smoke test. If anything fails after a real model changed, every model this deploy
changed is put back: its previous served config reloads with the previous files (taken from the
local repository when their digests match what the server reported), or it is unloaded if it was
new. A config-only reload cannot restore a model that arrived through file overrides: on a server
whose repository lacks the model the load fails at poll (and the current version stays). A model
that served without tritonops digests came from the server's own repository; a plain load (no
overrides) reads it from there again.

A load that succeeds is not proof of what serves: loading an ensemble makes Triton re-read its
steps from the server's own repository without the overrides they were loaded with (Triton core,
``ModelRepositoryManager::PollModels`` polls an ensemble's composing models by name; measured on
2.51: a step deployed as v40 through overrides served the on-disk v10 again after its ensemble
loaded). So after each model switches, every model this deploy loaded and every step of an
ensemble it loaded is read back (versions and the digests tritonops writes into each config) and
compared with the plan; a difference fails the deploy and rolls it back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from google.protobuf import json_format

from tritonops.deploy.remote_plan import (
    ROOT_DIGEST,
    Action,
    LocalModel,
    ModelStep,
    RemoteModel,
    RemoteView,
    RolloutPlan,
    files_digest,
    read_remote_model,
    root_files,
    version_digest_key,
    version_files,
)
from tritonops.deploy.smoke import check_outputs
from tritonops.errors import DeployError
from tritonops.model_config import from_proto
from tritonops.model_config.proto import ProtoConfig
from tritonops.model_config.samples import sample_inputs
from tritonops.triton.oneshot import OneAnswer
from tritonops.triton.remote import CallFailure, RemoteCallError

CANARY_SUFFIX = ".tritonops-canary"
StepCallback = Callable[[str, str], None]  # (model, what happens now)


class RolloutCalls(RemoteView, Protocol):
    """The calls a roll-out makes (``RemoteClient``, or a fake in tests)."""

    url: str

    def load(self, model: str, config_json: str, files: dict[str, bytes]) -> None: ...

    def unload(self, model: str) -> None: ...

    def infer(
        self, model: str, version: int, inputs: dict[str, Any], outputs: list[str]
    ) -> OneAnswer: ...

    def scrub(self, text: str) -> str: ...

    def repository_index(self) -> list[dict[str, str]]: ...


ModelState = Literal[
    "deployed", "skipped", "failed", "rolled-back", "not-restored", "not-attempted"
]


@dataclass(frozen=True)
class ModelOutcome:
    """How one model ended: deployed, skipped, failed, rolled-back, not-restored, not-attempted."""

    name: str
    action: Action
    state: ModelState
    from_versions: tuple[int, ...]
    to_versions: tuple[int, ...]
    detail: str = ""
    smoke_ms: float | None = None


class Rollout:
    """One execution of a plan; ``run`` returns each model's outcome and the failure, if any."""

    def __init__(
        self,
        plan: RolloutPlan,
        transport: RolloutCalls,
        *,
        smoke: bool = True,
        on_step: StepCallback | None = None,
        ready_timeout_s: float = 60.0,
    ) -> None:
        self.plan = plan
        self.transport = transport
        self.smoke = smoke
        self.on_step = on_step
        self.ready_timeout_s = ready_timeout_s
        self._changed: list[ModelStep] = []  # real models this run touched, in order
        # steps of a loaded ensemble that are not part of this deploy, as they served before
        self._outside: dict[str, RemoteModel] = {}
        self._latency: dict[str, float] = {}

    def run(self) -> tuple[list[ModelOutcome], str | None]:
        outcomes: dict[str, ModelOutcome] = {}
        failure: str | None = None
        for step in self.plan.steps:
            if failure is not None:
                outcomes[step.name] = _outcome(step, "not-attempted", "an earlier model failed")
                continue
            if step.action == "skip":
                self._emit(step.name, f"skip: {step.reason}")
                outcomes[step.name] = _outcome(step, "skipped", step.reason)
                continue
            try:
                self._deploy(step)
                self._verify([step])  # itself, and the steps an ensemble's load re-read
            except DeployError as exc:
                failure = self.transport.scrub(str(exc))
                outcomes[step.name] = _outcome(step, "failed", failure)
                continue
            ms = self._latency.get(step.name)
            outcomes[step.name] = _outcome(step, "deployed", step.reason, ms)
        if failure is None and self._changed:
            try:  # once more over everything: a later load may have changed an earlier model
                self._verify(self._changed)
            except DeployError as exc:
                failure = self.transport.scrub(str(exc))
        if failure is not None:
            for step in reversed(self._changed):
                state, detail = self._restore(step)
                if step.name in outcomes and outcomes[step.name].state == "failed":
                    detail = f"{outcomes[step.name].detail}; {detail}"
                outcomes[step.name] = _outcome(step, state, detail)
            for step in self._steps_to_repair():
                state, detail = self._restore(step)
                outcomes[step.name] = _outcome(step, state, f"changed by its ensemble; {detail}")
                self._changed.append(step)
            for step in self._changed:  # a later restore (an ensemble's) may undo an earlier one
                if outcomes[step.name].state == "rolled-back":
                    problem = self._differs(step.name, self.plan.remote[step.name])
                    if problem:
                        detail = f"the rollback did not hold: the server {problem}"
                        outcomes[step.name] = _outcome(step, "not-restored", detail)
        return [outcomes[s.name] for s in self.plan.steps], failure

    def _steps_to_repair(self) -> list[ModelStep]:
        """Skipped models of this plan that a changed ensemble's load re-read from the server's
        repository; restored after the ensembles, since an ensemble's load re-reads them."""
        changed = {s.name for s in self._changed}
        inside = {n for s in self._changed for n in self.plan.local[s.name].steps}
        return [
            step
            for step in self.plan.steps
            if step.name in inside
            and step.name not in changed
            and self._differs(step.name, self.plan.remote[step.name])
        ]

    def _differs(self, name: str, before: RemoteModel) -> str:
        """'' when ``name`` serves as ``before`` (versions and digests); else what it serves."""
        versions = tuple(self.transport.ready_versions(name))
        if versions == before.versions == ():
            return ""
        served = RemoteModel(name, versions, self.transport.served_config(name))
        if versions == before.versions and served.digests == before.digests:
            return ""
        if versions == before.versions:
            return f"serves v{_versions(versions)} with other files or config than before"
        return f"serves v{_versions(versions)}, not v{_versions(before.versions)} as before"

    # -- one model -----------------------------------------------------------------------------
    def _deploy(self, step: ModelStep) -> None:
        model = self.plan.local[step.name]
        top = max(model.wanted)
        for name in model.steps:  # the ensemble's load may re-read them: note how they serve
            if name not in self.plan.local and name not in self._outside:
                self._outside[name] = read_remote_model(self.transport, name)
        if step.action == "load":
            self._changed.append(step)
            self._emit(step.name, f"load v{_versions(model.wanted)} ({step.file_count} file(s))")
            self._load(step.name, model.config_json(), model)
            self._await_versions(step.name, model.wanted)
            self._smoke(step.name, top)
            return
        canary = step.name + CANARY_SUFFIX
        self._emit(step.name, f"stage v{top} as {canary}")
        try:
            self._load(canary, model.config_json(canary, digests=False), model)
            self._await_versions(canary, model.wanted)
            self._smoke(canary, top)
        except DeployError as exc:
            raise DeployError(
                f"{step.name} v{top} failed on staging ({canary}), so the served "
                f"v{_versions(step.from_versions)} was not touched: {exc}"
            ) from exc
        finally:
            self._unload_quietly(canary)
        self._changed.append(step)
        self._emit(
            step.name, f"switch v{_versions(step.from_versions)} -> v{_versions(model.wanted)}"
        )
        self._load(step.name, model.config_json(), model)
        self._await_versions(step.name, model.wanted)
        self._smoke(step.name, top)
        self._latency.pop(canary, None)

    def _load(self, name: str, config_json: str, model: LocalModel) -> None:
        try:
            self.transport.load(name, config_json, model.files)
        except RemoteCallError as exc:
            if exc.failure is not CallFailure.REJECTED:
                raise
            # the server answered: the model itself failed (initialize raised, a bad file, a
            # config the backend refuses); its message is the cause
            raise DeployError(
                f"{name} failed to load on the server — the server's reason follows; fix the "
                f"model and deploy again: {exc}"
            ) from exc

    def _await_versions(self, name: str, wanted: tuple[int, ...]) -> None:
        """Wait until exactly ``wanted`` serve: new ones READY, dropped ones gone."""
        deadline = time.monotonic() + self.ready_timeout_s
        while True:
            serving = tuple(self.transport.ready_versions(name))
            if serving == wanted:
                return
            if time.monotonic() > deadline:
                raise DeployError(
                    f"{name} serves version(s) {list(serving)} {self.ready_timeout_s:.0f} s after "
                    f"its load, expected {list(wanted)} — see the server log"
                )
            time.sleep(0.2)

    def _smoke(self, name: str, version: int) -> None:
        if not self.smoke:
            return
        served = self.transport.served_config(name)
        if served is None:
            raise DeployError(f"{name} has no served config after its load")
        message = ProtoConfig()
        json_format.ParseDict(served, message, ignore_unknown_fields=True)
        config = from_proto(message)
        if config.model_transaction_policy and config.model_transaction_policy.decoupled:
            self._emit(name, "smoke skipped: decoupled models answer over a stream")
            return
        self._emit(name, f"smoke v{version}")
        inputs = sample_inputs(config, rng=np.random.default_rng(0))
        started = time.perf_counter()
        result = self.transport.infer(name, version, inputs, [o.name for o in config.output])
        self._latency[name] = (time.perf_counter() - started) * 1000
        problems = check_outputs(config, result)
        if problems:
            raise DeployError(f"smoke inference of {name} v{version} failed: {'; '.join(problems)}")

    def _unload_quietly(self, name: str) -> None:
        try:
            self.transport.unload(name)
        except DeployError as exc:  # a leftover staging model serves nobody; say so, go on
            self._emit(name, f"could not unload: {self.transport.scrub(str(exc))}")

    # -- read-back -----------------------------------------------------------------------------
    def _verify(self, scope: list[ModelStep]) -> None:
        """Each model of ``scope``, and every step of an ensemble among them, serves what the
        plan says; raise naming each model the server serves differently."""
        expected: dict[str, tuple[tuple[int, ...], dict[str, str], str]] = {}
        loaded = {s.name for s in self._changed}
        for step in scope:
            model = self.plan.local[step.name]
            expected[step.name] = (model.wanted, model.digests, "this deploy loaded")
        for step in scope:
            for name in self.plan.local[step.name].steps:
                if name in expected:
                    continue
                if name in loaded:
                    wanted = self.plan.local[name]
                    expected[name] = (wanted.wanted, wanted.digests, "this deploy loaded")
                else:
                    before = self.plan.remote.get(name) or self._outside.get(name)
                    if before is not None:
                        expected[name] = (before.versions, before.digests, "it served")
        problems = []
        for name, (versions, digests, what) in expected.items():
            served_versions = tuple(self.transport.ready_versions(name))
            served = RemoteModel(name, served_versions, self.transport.served_config(name))
            if served_versions == versions and served.digests == digests:
                continue
            if not served_versions:
                now = "serves no version"
            elif not served.digests:
                now = (
                    f"serves v{_versions(served_versions)} without tritonops digests (a copy "
                    "from the server's own repository)"
                )
            else:
                now = f"serves v{_versions(served_versions)} with other files or config"
            why = self._reverted_by(name)
            if name not in self.plan.local:
                why += (
                    f" ({name} is not part of this deploy, so the rollback cannot put it back: "
                    f"deploy it again, e.g. --model {name})"
                )
            problems.append(f"{name}: {what} v{_versions(versions)}, but the server {now}{why}")
        if problems:
            raise DeployError(
                "the server does not serve what this deploy loaded: " + "; ".join(problems)
            )

    def _reverted_by(self, name: str) -> str:
        ensembles = [s.name for s in self._changed if name in self.plan.local[s.name].steps]
        if not ensembles:
            return ""
        return (
            f" — loading ensemble {', '.join(ensembles)} (or its staging copy) made Triton "
            f"re-read its step {name} "
            "from the server's own model repository, without the overrides it was loaded with "
            "(Triton 2.51 does so on every load of an ensemble); put the wanted "
            f"{name} into the server's repository, or deploy the ensemble alone first "
            f"(--model {ensembles[0]}) and {name} after it (--model {name}): a step loaded after "
            "its ensemble keeps serving, the ensemble follows it without re-reading it"
        )

    # -- rollback ------------------------------------------------------------------------------
    def _restore(self, step: ModelStep) -> tuple[ModelState, str]:
        """Put one changed model back as it was; returns (state, detail)."""
        previous = self.plan.remote[step.name]
        if not previous.versions:
            self._emit(step.name, "roll back: unload (it was new)")
            try:
                self.transport.unload(step.name)
            except DeployError as exc:
                return "not-restored", f"could not unload the new model: {exc}"
            return "rolled-back", "unloaded (it was not served before)"
        if not previous.digests:
            # served without digests: it came from the server's own repository; read it again
            self._emit(
                step.name, f"roll back to the server's own copy (v{_versions(previous.versions)})"
            )
            try:
                self.transport.load(step.name, "", {})
                self._await_versions(step.name, previous.versions)
            except DeployError as exc:
                return "not-restored", (
                    f"reloading the server's own copy (v{_versions(previous.versions)}) "
                    f"failed: {exc}"
                )
            return "rolled-back", f"the server's own v{_versions(previous.versions)} serves again"
        files = previous_files(self.plan.local[step.name], previous)
        if files is None or previous.config is None:
            return "not-restored", (
                f"v{_versions(step.to_versions)} stays: the files of the previously served "
                f"v{_versions(previous.versions)} are not in the local repository (or differ "
                "from what the server reported) — put them back and deploy again"
            )
        self._emit(step.name, f"roll back to v{_versions(previous.versions)}")
        try:
            self.transport.load(step.name, json.dumps(previous.config), files)
            self._await_versions(step.name, previous.versions)
        except DeployError as exc:
            return "not-restored", f"restoring v{_versions(previous.versions)} failed: {exc}"
        return "rolled-back", f"v{_versions(previous.versions)} serves again"

    def _emit(self, model: str, message: str) -> None:
        if self.on_step is not None:
            self.on_step(model, message)


def previous_files(model: LocalModel, previous: RemoteModel) -> dict[str, bytes] | None:
    """The files the server served before, from the local repository when digests prove it."""
    served = previous.digests
    root = root_files(model)
    if served.get(ROOT_DIGEST) != files_digest(root):
        return None
    files = dict(root)
    for version in previous.versions:
        found = version_files(model, version)
        if found is None or served.get(version_digest_key(version)) != files_digest(found):
            return None
        files.update(found)
    return files


def _outcome(
    step: ModelStep, state: ModelState, detail: str, ms: float | None = None
) -> ModelOutcome:
    return ModelOutcome(
        step.name, step.action, state, step.from_versions, step.to_versions, detail, ms
    )


def _versions(versions: tuple[int, ...]) -> str:
    return ",".join(map(str, versions)) or "-"
