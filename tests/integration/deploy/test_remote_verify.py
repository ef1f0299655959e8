"""Served state read back after a roll-out, and interrupted deploys, on a real tritonserver whose
own repository holds models (the server's "on-disk" copies)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient

from tritonops.deploy import history
from tritonops.deploy.remote import RemoteDeployFailed, deploy_remote
from tritonops.deploy.rollout import CANARY_SUFFIX
from tritonops.server import LocalTriton

from ..catalogue import python_code
from .remote_helpers import ADD_TWO, Traffic, add_ensemble, add_python, add_version

ADD_FORTY = python_code(expr="x + 40")


@pytest.fixture(scope="module")
def on_disk(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> Iterator[LocalTriton]:
    """A server whose repository holds ``pre`` v10 (x + 1) and the ensemble ``pipe`` over it."""
    repository = tmp_path_factory.mktemp("server-repository")
    add_python(repository, "pre")
    (repository / "pre" / "1").rename(repository / "pre" / "10")
    add_ensemble(repository, "pipe", "pre", width=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
        with LocalTriton(repository, load=["pipe"]) as server:
            yield server


def _call(url: str, model: str, input_name: str, output_name: str) -> float:
    client = httpclient.InferenceServerClient(url, network_timeout=30)
    try:
        item = httpclient.InferInput(input_name, [1, 4], "FP32")
        item.set_data_from_numpy(np.zeros((1, 4), dtype=np.float32))
        result = client.infer(model, [item]).as_numpy(output_name)
    finally:
        client.close()
    assert result is not None
    return float(result.flat[0])


def _versions(url: str, model: str) -> list[str]:
    client = httpclient.InferenceServerClient(url, network_timeout=30)
    try:
        return list(client.get_model_metadata(model)["versions"])
    finally:
        client.close()


def test_step_reverted_by_its_ensemble_fails_the_deploy(
    on_disk: LocalTriton, tmp_path: Path
) -> None:
    """A new step version with a changed ensemble: Triton re-reads the step from its own
    repository when the ensemble loads, so v40 is replaced by the on-disk v10. Before the
    read-back this deploy reported success while v10 served."""
    repo = tmp_path / "repo"
    add_python(repo, "pre")
    shutil_move(repo / "pre" / "1", repo / "pre" / "40")
    (repo / "pre" / "40" / "model.py").write_text(ADD_FORTY)
    add_ensemble(repo, "pipe", "pre", width=4)
    config = repo / "pipe" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 4"))

    with (
        Traffic(on_disk.http_url, "pipe", input_name="X", output_name="Y") as traffic,
        pytest.raises(RemoteDeployFailed) as caught,
    ):
        deploy_remote(repo, on_disk.http_url, project_root=tmp_path)

    assert traffic.failures == []
    assert traffic.sent > 0
    message = str(caught.value)
    assert "pre: this deploy loaded v40, but the server serves v10" in message
    assert "loading ensemble pipe (or its staging copy) made Triton re-read its step pre" in message
    assert caught.value.result.outcome == "rolled-back"
    # rolled back to the server's own copies, consistently
    assert _versions(on_disk.http_url, "pre") == ["10"]
    assert _call(on_disk.http_url, "pipe", "X", "Y") == 1.0
    assert history.read(tmp_path)[-1].outcome == "rolled-back"


def test_ensemble_first_then_its_step_is_the_order_that_works(
    on_disk: LocalTriton, tmp_path: Path
) -> None:
    """The order the failure message advises, on the real server: the ensemble alone, then the
    step alone. A later load of the ensemble re-reads the step again; the read-back names it."""
    repo = tmp_path / "repo"
    add_python(repo, "pre")
    shutil_move(repo / "pre" / "1", repo / "pre" / "40")
    (repo / "pre" / "40" / "model.py").write_text(ADD_FORTY)
    add_ensemble(repo, "pipe", "pre", width=4)
    config = repo / "pipe" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 4"))

    assert deploy_remote(repo, on_disk.http_url, models=["pipe"]).outcome == "success"
    assert deploy_remote(repo, on_disk.http_url, models=["pre"]).outcome == "success"

    assert _versions(on_disk.http_url, "pre") == ["40"]
    assert _call(on_disk.http_url, "pipe", "X", "Y") == 40.0
    again = deploy_remote(repo, on_disk.http_url)
    assert [m.state for m in again.models] == ["skipped", "skipped"]

    config.write_text(config.read_text().replace("max_batch_size: 4", "max_batch_size: 2"))
    with pytest.raises(RemoteDeployFailed) as whole:
        deploy_remote(repo, on_disk.http_url)  # pre unchanged (skip), pipe changed

    states = {m.name: m.state for m in whole.value.result.models}
    assert states == {"pre": "rolled-back", "pipe": "rolled-back"}, str(whole.value)
    assert _versions(on_disk.http_url, "pre") == ["40"]  # put back after the ensemble's restore
    assert _call(on_disk.http_url, "pipe", "X", "Y") == 40.0

    with pytest.raises(RemoteDeployFailed) as caught:
        deploy_remote(repo, on_disk.http_url, models=["pipe"])

    message = str(caught.value)
    assert "pre: it served v40, but the server serves v10 without tritonops digests" in message
    assert "pre is not part of this deploy" in message
    assert caught.value.result.outcome == "rolled-back"


def shutil_move(source: Path, target: Path) -> None:
    source.rename(target)


KILLED_DEPLOY = """
import os, signal, sys
from pathlib import Path
from tritonops.deploy.remote import deploy_remote

def step(model, what):
    if model.endswith(".tritonops-canary") and what.startswith("smoke"):
        os.kill(os.getpid(), signal.SIGKILL)  # staged and loaded, not yet smoked

deploy_remote(Path(sys.argv[1]), sys.argv[2], project_root=Path(sys.argv[3]), on_step=step)
"""


def test_kill_during_staging_is_recorded_and_cleaned_up(
    on_disk: LocalTriton, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    add_python(repo, "k_py")
    deploy_remote(repo, on_disk.http_url, project_root=tmp_path)
    add_version(repo, "k_py", 2, ADD_TWO)
    script = tmp_path / "killed.py"
    script.write_text(KILLED_DEPLOY)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))

    done = subprocess.run(
        [sys.executable, str(script), str(repo), on_disk.http_url, str(tmp_path)],
        env=environment,
        capture_output=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    canary = "k_py" + CANARY_SUFFIX
    assert on_disk.model_ready(canary)  # what a kill leaves behind
    record = history.read(tmp_path)[-1]
    assert (record.outcome, record.staged) == ("interrupted", (canary,))
    steps: list[tuple[str, str]] = []

    result = deploy_remote(
        repo, on_disk.http_url, project_root=tmp_path, on_step=lambda m, s: steps.append((m, s))
    )

    assert result.outcome == "success"
    assert result.removed_leftovers == (canary,)
    assert steps[0][0] == "deploy"
    assert "was interrupted" in steps[0][1]
    assert steps[1] == (canary, "removed a staging model an interrupted deploy left loaded")
    assert not on_disk.model_ready(canary)
    assert _versions(on_disk.http_url, "k_py") == ["2"]
    outcomes = [r.outcome for r in history.read(tmp_path)]
    assert outcomes == ["success", "interrupted", "success"]
    lines = (tmp_path / history.HISTORY_FILE).read_text().splitlines()
    written = [json.loads(line)["outcome"] for line in lines]
    # the killed deploy wrote only its in-progress record; read() settles it as interrupted
    assert written == ["in-progress", "success", "in-progress", "in-progress", "success"]
