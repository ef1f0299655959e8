"""Remote deploy without a server: plan decisions, override content, roll-out order, secrecy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from google.protobuf import json_format
from tritonclient.utils import InferenceServerException

from tritonops.deploy.remote import RemoteDeployFailed, deploy_remote, plan_remote
from tritonops.deploy.remote_plan import CONFIG_DIGEST, read_local_model
from tritonops.deploy.rollout import CANARY_SUFFIX
from tritonops.errors import DeployError
from tritonops.model_config.proto import ProtoConfig
from tritonops.triton.oneshot import OneAnswer
from tritonops.triton.remote import CallFailure, RemoteCallError, RemoteClient, classify

CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] label_filename: "labels.txt" }} ]
"""
ENSEMBLE = """name: "pipe" platform: "ensemble" max_batch_size: 8
input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "Y" data_type: TYPE_FP32 dims: [ 4 ] } ]
ensemble_scheduling { step [ { model_name: "add" model_version: -1
  input_map { key: "x" value: "X" } output_map { key: "y" value: "Y" } } ] }
"""


def _model(repo: Path, name: str, versions: tuple[int, ...] = (1,)) -> None:
    (repo / name).mkdir(parents=True, exist_ok=True)
    (repo / name / "config.pbtxt").write_text(CONFIG.format(name=name))
    (repo / name / "labels.txt").write_text("a\nb\n")
    for v in versions:
        (repo / name / str(v)).mkdir(exist_ok=True)
        (repo / name / str(v) / "model.py").write_text(f"VERSION = {v}\n")


class FakeRemote:
    """A remote Triton in memory: loads record their config; every call is logged."""

    url = "fake:8000"

    def __init__(self, broken: set[str] | None = None) -> None:
        self.served: dict[str, tuple[list[int], dict[str, Any]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.broken = broken or set()  # these models answer without their outputs
        # the server's own repository folders: name -> (versions, config) a plain load serves
        self.disk: dict[str, tuple[list[int], dict[str, Any]]] = {}

    def repository_index(self) -> list[dict[str, str]]:
        self.calls.append(("repository_index", ""))
        return [{"name": n, "version": str(v[0][-1])} for n, v in self.disk.items()]

    def ready_versions(self, model: str) -> list[int]:
        self.calls.append(("ready_versions", model))
        return list(self.served.get(model, ([], {}))[0])

    def served_config(self, model: str) -> dict[str, Any] | None:
        self.calls.append(("served_config", model))
        return self.served[model][1] if model in self.served else None

    def load(self, model: str, config_json: str, files: dict[str, bytes]) -> None:
        self.calls.append(("load", model))
        if not config_json and not files:  # a plain load reads the server's own repository
            self.served[model] = self.disk[model]
            return
        versions = sorted({int(k[5:].split("/")[0]) for k in files if k[5:6].isdigit()})
        config = json.loads(config_json)
        self.served[model] = (versions[-1:], config)
        # like Triton 2.51: an ensemble's load re-reads its steps from the own repository
        for step in config.get("ensemble_scheduling", {}).get("step", []):
            if step["model_name"] in self.disk:
                self.served[step["model_name"]] = self.disk[step["model_name"]]

    def unload(self, model: str) -> None:
        self.calls.append(("unload", model))
        self.served.pop(model, None)

    def infer(
        self, model: str, version: int, inputs: dict[str, Any], outputs: list[str]
    ) -> OneAnswer:
        self.calls.append(("infer", model))
        if model.removesuffix(CANARY_SUFFIX) in self.broken:
            return OneAnswer({})
        return OneAnswer({o: np.zeros((1, 4), dtype=np.float32) for o in outputs})

    def scrub(self, text: str) -> str:
        return text

    def changes(self) -> list[tuple[str, str]]:
        return [c for c in self.calls if c[0] in ("load", "unload", "infer")]


def _deployed(repo: Path, fake: FakeRemote, name: str) -> None:
    model = read_local_model(repo / name)
    fake.served[name] = (list(model.wanted), json.loads(model.config_json()))


def test_plan_decides_load_skip_rollout_reload(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    for name in ("fresh", "same", "newer", "edited", "foreign"):
        _model(repo, name)
    fake = FakeRemote()
    for name in ("same", "newer", "edited"):
        _deployed(repo, fake, name)
    fake.served["foreign"] = ([1], {"name": "foreign", "backend": "python"})
    _model(repo, "newer", versions=(1, 2))
    config = repo / "edited" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 4"))

    plan = plan_remote(repo, "fake:8000", transport=fake)

    actions = {s.name: (s.action, s.from_versions, s.to_versions) for s in plan.steps}
    assert actions == {
        "edited": ("reload", (1,), (1,)),
        "foreign": ("reload", (1,), (1,)),
        "fresh": ("load", (), (1,)),
        "newer": ("rollout", (1,), (2,)),
        "same": ("skip", (1,), (1,)),
    }
    assert "config changed" in next(s.reason for s in plan.steps if s.name == "edited")
    assert "newer: rollout v1 -> v2 (2 file(s)" in str(plan)
    assert fake.changes() == []


def test_changed_file_of_a_served_version_is_a_reload(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")
    fake = FakeRemote()
    _deployed(repo, fake, "m")
    (repo / "m" / "1" / "model.py").write_text("VERSION = 'patched'\n")

    step = plan_remote(repo, "fake:8000", transport=fake).steps[0]

    assert (step.action, step.reason) == ("reload", "files of version 1 changed")


def test_config_override_uses_proto_field_names_and_parses_back(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")
    model = read_local_model(repo / "m")

    data = json.loads(model.config_json())

    assert {"max_batch_size", "input", "output"} <= set(data)
    assert data["input"][0]["data_type"] == "TYPE_FP32"
    assert data["parameters"][CONFIG_DIGEST]["string_value"] == model.digests[CONFIG_DIGEST]
    message = json_format.Parse(model.config_json("m.tritonops-canary"), ProtoConfig())
    assert message.name == "m.tritonops-canary"
    assert list(message.output[0].dims) == [4]


def test_file_overrides_cover_wanted_versions_and_root_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m", versions=(1, 2))
    (repo / "m" / "2" / "__pycache__").mkdir()
    (repo / "m" / "2" / "__pycache__" / "model.pyc").write_bytes(b"\0")
    (repo / "m" / "2" / "weights").mkdir()
    (repo / "m" / "2" / "weights" / "w.bin").write_bytes(b"12")
    (repo / "m" / ".DS_Store").write_bytes(b"")

    model = read_local_model(repo / "m")

    assert model.wanted == (2,)  # the default policy: latest 1
    assert sorted(model.files) == ["file:2/model.py", "file:2/weights/w.bin", "file:labels.txt"]


def test_ensemble_follows_its_step_and_gets_a_version_folder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pipe" / "1").mkdir(parents=True)
    (repo / "pipe" / "config.pbtxt").write_text(ENSEMBLE)
    _model(repo, "add")
    _model(repo, "zeta")

    plan = plan_remote(repo, "fake:8000", transport=FakeRemote())

    assert [s.name for s in plan.steps] == ["add", "zeta", "pipe"]
    assert list(plan.local["pipe"].files) == ["file:1/.tritonops"]


def test_dry_run_makes_no_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")
    fake = FakeRemote()

    result = deploy_remote(repo, "fake:8000", dry_run=True, transport=fake, project_root=tmp_path)

    assert result.outcome == "planned"
    assert "m: load v- -> v1" in result.detail
    assert fake.changes() == []
    assert not (tmp_path / ".tritonops").exists()


def test_broken_new_version_never_touches_the_served_one(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")
    fake = FakeRemote(broken={"m"})
    _deployed(repo, fake, "m")
    before = fake.served["m"]
    _model(repo, "m", versions=(1, 2))

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake, project_root=tmp_path)

    assert "m v2 failed on staging" in str(caught.value)
    assert "output 'y'" in str(caught.value)
    assert ("load", "m") not in fake.calls  # only the staging copy was loaded
    assert fake.changes()[-1] == ("unload", "m" + CANARY_SUFFIX)
    assert fake.served["m"] == before
    assert caught.value.result.outcome == "rolled-back"


def test_failure_after_a_switch_restores_the_previous_version(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "a")
    _model(repo, "b")
    fake = FakeRemote(broken={"b"})
    _deployed(repo, fake, "a")
    _deployed(repo, fake, "b")
    before = fake.served["a"]
    _model(repo, "a", versions=(1, 2))
    _model(repo, "b", versions=(1, 2))

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    states = {m.name: m.state for m in caught.value.result.models}
    assert states == {"a": "rolled-back", "b": "failed"}
    assert fake.served["a"] == before


def test_restore_is_refused_when_old_files_are_gone(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "a")
    _model(repo, "b")
    fake = FakeRemote(broken={"b"})
    _deployed(repo, fake, "a")
    _deployed(repo, fake, "b")
    _model(repo, "a", versions=(2,))
    (repo / "a" / "1" / "model.py").unlink()
    (repo / "a" / "1").rmdir()
    _model(repo, "b", versions=(1, 2))

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    assert caught.value.result.outcome == "failed"
    assert "not in the local repository" in str(caught.value)
    assert fake.served["a"][0] == [2]


def test_header_values_never_reach_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "tok-123-secret"
    client = RemoteClient("example:8000", headers={"Authorization": f"Bearer {secret}"})

    class Raising:
        def is_server_live(self, **kwargs: Any) -> bool:
            assert kwargs["headers"] == {"Authorization": f"Bearer {secret}"}
            raise InferenceServerException(f"denied for Bearer {secret}")

        def close(self) -> None:
            pass

    monkeypatch.setattr(client, "_conn", lambda timeout_s=None: Raising())

    with pytest.raises(DeployError) as caught:
        client.check_live()

    assert secret not in str(caught.value)
    assert "example:8000" in str(caught.value)


def test_unknown_model_name_is_reported_with_the_choices(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")

    with pytest.raises(DeployError, match=r"nope not in .* choose from m"):
        plan_remote(repo, "fake:8000", models=["nope"], transport=FakeRemote())


def _pipe(repo: Path) -> None:
    (repo / "pipe" / "1").mkdir(parents=True, exist_ok=True)
    (repo / "pipe" / "config.pbtxt").write_text(ENSEMBLE)


def test_a_step_the_server_reverts_fails_the_deploy_and_rolls_back(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "add", versions=(40,))
    _pipe(repo)
    fake = FakeRemote()
    own = {"name": "add", "backend": "python"}  # the server's own copy: no digests
    fake.disk["add"] = ([10], own)
    fake.disk["pipe"] = ([1], {"name": "pipe", "platform": "ensemble"})
    fake.served = dict(fake.disk)

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    message = str(caught.value)
    assert "add: this deploy loaded v40, but the server serves v10 without tritonops" in message
    assert "loading ensemble pipe (or its staging copy) made Triton re-read its step add" in message
    assert caught.value.result.outcome == "rolled-back"
    states = {m.name: m.state for m in caught.value.result.models}
    assert states == {"add": "rolled-back", "pipe": "rolled-back"}
    assert fake.served["add"] == ([10], own)


def test_ensemble_whose_steps_are_not_on_the_server_is_refused_up_front(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "add")
    _pipe(repo)
    fake = FakeRemote()

    with pytest.raises(DeployError) as caught:
        deploy_remote(repo, "fake:8000", transport=fake, project_root=tmp_path)

    assert str(caught.value).startswith("nothing was changed: ensemble pipe cannot be loaded")
    assert "add is not there" in str(caught.value)
    assert fake.changes() == []
    assert history_outcomes(tmp_path) == ["failed"]


def history_outcomes(root: Path) -> list[str]:
    from tritonops.deploy import history

    return [r.outcome for r in history.read(root)]


def test_killed_deploy_reads_back_interrupted_and_its_leftover_is_removed(tmp_path: Path) -> None:
    from tritonops.deploy import history

    repo = tmp_path / "repo"
    _model(repo, "m")
    fake = FakeRemote()
    _deployed(repo, fake, "m")
    _model(repo, "m", versions=(1, 2))

    def killed(model: str, what: str) -> None:
        if what.startswith("smoke"):
            raise KeyboardInterrupt  # stands for a kill: nothing after this runs

    with pytest.raises(KeyboardInterrupt):
        deploy_remote(repo, "fake:8000", transport=fake, project_root=tmp_path, on_step=killed)
    fake.served["m" + CANARY_SUFFIX] = fake.served["m"]  # as a kill -9 leaves it: still loaded
    [record] = history.read(tmp_path)
    assert (record.outcome, record.staged) == ("interrupted", ("m" + CANARY_SUFFIX,))
    steps: list[tuple[str, str]] = []

    result = deploy_remote(
        repo,
        "fake:8000",
        transport=fake,
        project_root=tmp_path,
        on_step=lambda m, s: steps.append((m, s)),
    )

    assert result.removed_leftovers == ("m" + CANARY_SUFFIX,)
    assert steps[0][0] == "deploy"
    assert "the previous deploy to fake:8000" in steps[0][1]
    assert "was interrupted" in steps[0][1]
    assert steps[1] == (
        "m" + CANARY_SUFFIX,
        "removed a staging model an interrupted deploy left loaded",
    )
    assert "m.tritonops-canary: removed" in result.describe()
    assert history_outcomes(tmp_path) == ["interrupted", "success"]


def test_failed_load_is_named_as_such_not_as_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    client = RemoteClient("example:8000")
    said = (
        "load failed for model 'm': version 1 is at UNAVAILABLE state: Internal: "
        "RuntimeError: boom in initialize"
    )

    class Refusing:
        def load_model(self, model: str, **kwargs: Any) -> None:
            raise InferenceServerException(said, status="400")

    monkeypatch.setattr(client, "_conn", lambda timeout_s=None: Refusing())

    with pytest.raises(RemoteCallError) as caught:
        client.load("m", "{}", {})

    assert caught.value.failure is CallFailure.REJECTED
    assert "unreachable" not in str(caught.value)
    assert "RuntimeError: boom in initialize" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        ("StatusCode.UNAVAILABLE", CallFailure.UNREACHABLE),
        ("StatusCode.DEADLINE_EXCEEDED", CallFailure.UNREACHABLE),
        ("404", CallFailure.NOT_FOUND),
        ("StatusCode.NOT_FOUND", CallFailure.NOT_FOUND),
        ("400", CallFailure.REJECTED),
        ("StatusCode.INVALID_ARGUMENT", CallFailure.REJECTED),
        ("500", CallFailure.REJECTED),
    ],
)
def test_failures_are_classified_by_status_code(status: str, failure: CallFailure) -> None:
    assert classify(status) is failure


def test_a_model_the_server_rejects_is_reported_with_the_servers_reason(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "m")
    fake = FakeRemote()
    said = "cannot load 'm': version 1 is at UNAVAILABLE state: RuntimeError: weights are missing"

    def rejecting(model: str, config_json: str, files: dict[str, bytes]) -> None:
        raise RemoteCallError(said, CallFailure.REJECTED, "400")

    fake.load = rejecting  # type: ignore[method-assign]

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    assert "m failed to load on the server" in str(caught.value)
    assert "RuntimeError: weights are missing" in str(caught.value)
    assert "unreachable" not in str(caught.value)


def test_a_model_changed_by_a_later_load_fails_the_final_read_back(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "a")
    _model(repo, "b")
    fake = FakeRemote()
    _deployed(repo, fake, "a")
    _deployed(repo, fake, "b")
    before = fake.served["a"]
    _model(repo, "a", versions=(1, 2))
    _model(repo, "b", versions=(1, 2))
    load = fake.load

    def load_b_resets_a(model: str, config_json: str, files: dict[str, bytes]) -> None:
        load(model, config_json, files)
        if model == "b":  # someone else's reload of a, between our switches
            fake.served["a"] = before

    fake.load = load_b_resets_a  # type: ignore[method-assign]

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    assert "a: this deploy loaded v2, but the server serves v1 with other files" in str(
        caught.value
    )
    assert {m.name: m.state for m in caught.value.result.models} == {
        "a": "rolled-back",
        "b": "rolled-back",
    }


def test_a_step_outside_the_deploy_reverted_by_its_ensemble_is_named(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "add")
    _pipe(repo)
    fake = FakeRemote()
    _deployed(repo, fake, "add")  # served through overrides, by an earlier deploy
    fake.disk["add"] = ([10], {"name": "add"})
    fake.disk["pipe"] = ([1], {"name": "pipe"})

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake, models=["pipe"])

    message = str(caught.value)
    assert "add: it served v1, but the server serves v10 without tritonops digests" in message
    assert "add is not part of this deploy" in message
    assert "deploy the ensemble alone first (--model pipe) and add after it" in message


def test_a_rollback_the_server_does_not_hold_is_reported_not_restored(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "a")
    _model(repo, "b")
    fake = FakeRemote(broken={"b"})
    _deployed(repo, fake, "a")
    _deployed(repo, fake, "b")
    _model(repo, "a", versions=(1, 2))
    _model(repo, "b", versions=(1, 2))
    load, ready_versions = fake.load, fake.ready_versions
    reads_after_restore: list[int] = []

    def loading(model: str, config_json: str, files: dict[str, bytes]) -> None:
        load(model, config_json, files)
        if model == "a" and fake.served["a"][0] == [1]:
            reads_after_restore.append(0)  # a's restore is in

    def reading(model: str) -> list[int]:
        if model == "a" and reads_after_restore:
            reads_after_restore.append(0)
            if len(reads_after_restore) == 3:  # after the restore's own wait: someone reloads a
                fake.served["a"] = ([7], {"name": "a"})
        return ready_versions(model)

    fake.load = loading  # type: ignore[method-assign]
    fake.ready_versions = reading  # type: ignore[method-assign]

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake, load_timeout_s=5)

    [a] = [m for m in caught.value.result.models if m.name == "a"]
    assert a.state == "not-restored"
    assert "the rollback did not hold: the server serves v7, not v1 as before" in a.detail
    assert caught.value.result.outcome == "failed"


def test_an_unchanged_step_its_ensemble_re_read_is_put_back(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _model(repo, "add")
    _pipe(repo)
    fake = FakeRemote()
    fake.disk["add"] = ([10], {"name": "add"})
    fake.disk["pipe"] = ([1], {"name": "pipe"})
    _deployed(repo, fake, "add")  # served through overrides by an earlier deploy
    _deployed(repo, fake, "pipe")
    before = fake.served["add"]
    config = repo / "pipe" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 4"))

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, "fake:8000", transport=fake)

    assert "add: it served v1, but the server serves v10" in str(caught.value)
    states = {m.name: m.state for m in caught.value.result.models}
    assert states == {"add": "rolled-back", "pipe": "rolled-back"}
    assert fake.served["add"] == before
    assert caught.value.result.outcome == "rolled-back"
