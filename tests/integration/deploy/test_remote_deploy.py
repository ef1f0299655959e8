"""deploy_remote against a second real tritonserver whose repository is EMPTY: every model
arrives through config and file overrides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient
from numpy.typing import NDArray
from tritonclient.utils import InferenceServerException

from tritonops.deploy import history
from tritonops.deploy.remote import RemoteDeployFailed, deploy_remote, plan_remote
from tritonops.deploy.rollout import CANARY_SUFFIX
from tritonops.errors import DeployError
from tritonops.server import LocalTriton
from tritonops.server.ports import free_port

from ..catalogue import WEIGHTS
from .remote_helpers import (
    ADD_TWO,
    RAISES_IN_INITIALIZE,
    WRONG_NAME,
    Traffic,
    add_ensemble,
    add_onnx,
    add_python,
    add_version,
)

SECRET = "s3cr3t-token-value"


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> Iterator[LocalTriton]:
    """One remote per module (a start costs seconds); each test uses its own model names."""
    empty = tmp_path_factory.mktemp("remote-repository")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
        with LocalTriton(empty) as server:
            yield server


def _infer(url: str, model: str, version: str = "") -> NDArray[np.float32]:
    client = httpclient.InferenceServerClient(url, network_timeout=30)
    try:
        item = httpclient.InferInput("x", [1, 4], "FP32")
        item.set_data_from_numpy(np.ones((1, 4), dtype=np.float32))
        result: NDArray[np.float32] | None = client.infer(
            model, [item], model_version=version
        ).as_numpy("y")
    finally:
        client.close()
    assert result is not None
    return result


def _versions(url: str, model: str) -> list[str]:
    client = httpclient.InferenceServerClient(url, network_timeout=30)
    try:
        return list(client.get_model_metadata(model)["versions"])
    finally:
        client.close()


def test_new_models_then_unchanged_redeploy_skips(remote: LocalTriton, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    add_python(repo, "n_py")
    add_onnx(repo, "n_onnx")
    steps: list[tuple[str, str]] = []

    result = deploy_remote(
        repo, remote.http_url, project_root=tmp_path, on_step=lambda m, s: steps.append((m, s))
    )

    assert result.outcome == "success"
    assert {m.name: (m.action, m.state) for m in result.models} == {
        "n_onnx": ("load", "deployed"),
        "n_py": ("load", "deployed"),
    }
    assert ("n_py", "smoke v1") in steps
    np.testing.assert_allclose(_infer(remote.http_url, "n_py"), np.full((1, 4), 2.0))
    np.testing.assert_allclose(_infer(remote.http_url, "n_onnx"), np.ones((1, 4)) @ WEIGHTS)

    again = plan_remote(repo, remote.grpc_url, protocol="grpc")
    assert [s.action for s in again.steps] == ["skip", "skip"]
    # the file overrides alone formed the models: the remote's repository stayed empty
    assert not any(remote.options.repository.iterdir())
    records = history.read(tmp_path)
    assert [(r.target, r.outcome) for r in records] == [("remote", "success")]
    assert {m.name for m in records[0].models} == {"n_py", "n_onnx"}


def test_rollout_v2_under_traffic_grpc(remote: LocalTriton, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    add_python(repo, "r_py")
    deploy_remote(repo, remote.grpc_url, protocol="grpc")
    add_version(repo, "r_py", 2, ADD_TWO)
    plan = plan_remote(repo, remote.grpc_url, protocol="grpc")
    assert plan.steps[0].action == "rollout"
    assert "r_py: rollout v1 -> v2" in plan.describe()

    with Traffic(remote.http_url, "r_py") as traffic:
        result = deploy_remote(repo, remote.grpc_url, protocol="grpc")

    assert result.outcome == "success"
    assert traffic.failures == []
    assert traffic.sent > 0
    assert traffic.outputs <= {1.0, 2.0}
    assert _versions(remote.http_url, "r_py") == ["2"]
    np.testing.assert_allclose(_infer(remote.http_url, "r_py"), np.full((1, 4), 3.0))
    assert not remote.model_ready("r_py" + CANARY_SUFFIX)


def test_broken_version_keeps_v1_and_rolls_back_switched_models(
    remote: LocalTriton, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    add_onnx(repo, "a_onnx")  # sorted first: switches to v2 before b_py fails, then rolls back
    add_python(repo, "b_py")
    headers = {"Authorization": f"Bearer {SECRET}"}
    deploy_remote(repo, remote.http_url, headers=headers)
    add_version(repo, "a_onnx", 2)
    add_version(repo, "b_py", 2, WRONG_NAME)

    with (
        Traffic(remote.http_url, "b_py") as on_b,
        Traffic(remote.http_url, "a_onnx") as on_a,
        pytest.raises(RemoteDeployFailed) as caught,
    ):
        deploy_remote(
            repo,
            remote.http_url,
            headers=headers,
            project_root=tmp_path,
            on_step=lambda m, s: print(m, s),
        )

    message = str(caught.value)
    assert "b_py v2 failed on staging" in message
    assert "output 'y'" in message
    assert caught.value.result.outcome == "rolled-back"
    states = {m.name: m.state for m in caught.value.result.models}
    assert states == {"a_onnx": "rolled-back", "b_py": "failed"}
    assert on_a.failures == []
    assert on_b.failures == []
    assert on_a.sent > 0
    assert on_b.sent > 0
    assert _versions(remote.http_url, "b_py") == ["1"]
    assert _versions(remote.http_url, "a_onnx") == ["1"]
    np.testing.assert_allclose(_infer(remote.http_url, "b_py"), np.full((1, 4), 2.0))
    record = history.read(tmp_path)[-1]
    assert record.outcome == "rolled-back"
    written = (tmp_path / history.HISTORY_FILE).read_text()
    assert SECRET not in message + capsys.readouterr().out + written + json.dumps(record.detail)


def test_ensemble_over_override_steps_is_refused_before_any_change(
    remote: LocalTriton, tmp_path: Path
) -> None:
    """Triton 2.51 polls an ensemble's steps from its own repository: steps that exist only as
    overrides make the ensemble fail at poll, in any order of loads; such a plan is refused."""
    repo = tmp_path / "repo"
    add_onnx(repo, "e_step")
    add_ensemble(repo, "e_pipe", "e_step")

    for url, protocol in ((remote.http_url, "http"), (remote.grpc_url, "grpc")):
        with pytest.raises(DeployError) as caught:
            deploy_remote(repo, url, protocol=protocol, project_root=tmp_path)  # type: ignore[arg-type]

        message = str(caught.value)
        assert message.startswith("nothing was changed: ensemble e_pipe cannot be loaded"), protocol
        assert "e_step is not there" in message
        assert not remote.model_ready("e_step")
    assert [r.outcome for r in history.read(tmp_path)] == ["failed", "failed"]


def test_ensemble_load_is_refused_by_the_server_as_the_refusal_says(
    remote: LocalTriton, tmp_path: Path
) -> None:
    """The fact behind the refusal, asked of the real server: the step loaded through overrides
    serves, and the ensemble's load still fails at poll."""
    repo = tmp_path / "repo"
    add_onnx(repo, "f_step")
    add_ensemble(repo, "f_pipe", "f_step")
    deploy_remote(repo, remote.http_url, models=["f_step"])
    assert remote.model_ready("f_step")
    client = httpclient.InferenceServerClient(remote.http_url, network_timeout=60)
    try:
        config = (repo / "f_pipe" / "config.pbtxt").read_text()
        from tritonops.deploy.remote_plan import read_local_model

        model = read_local_model(repo / "f_pipe")
        with pytest.raises(InferenceServerException) as caught:
            client.load_model("f_pipe", config=model.config_json(), files=model.files)
    finally:
        client.close()
    assert "failed to poll from model repository" in str(caught.value.message())
    assert "f_step" in config


def test_initialize_error_is_reported_as_itself(remote: LocalTriton, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    add_python(repo, "i_py")
    (repo / "i_py" / "1" / "model.py").write_text(RAISES_IN_INITIALIZE)

    for url, protocol in ((remote.http_url, "http"), (remote.grpc_url, "grpc")):
        with pytest.raises(DeployError) as caught:
            deploy_remote(repo, url, protocol=protocol)  # type: ignore[arg-type]
        message = str(caught.value)
        assert "weights are missing" in message, protocol
        assert "unreachable" not in message, protocol


def test_unreachable_remote_names_the_url(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    add_onnx(repo, "u_onnx")
    url = f"127.0.0.1:{free_port('127.0.0.1')}"
    for protocol in ("http", "grpc"):
        with pytest.raises(DeployError) as caught:
            deploy_remote(repo, url, protocol=protocol, headers={"x-key": SECRET}, load_timeout_s=5)
        assert url in str(caught.value)
        assert "unreachable" in str(caught.value)
        assert SECRET not in str(caught.value)
