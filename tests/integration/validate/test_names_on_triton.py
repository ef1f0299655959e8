"""Why tritonops refuses some model names and versions: what tritonserver 2.51 does with them.

The project-file rules (``spec.fields``: URL-safe names, versions within int64) rest on these
observations of the real server, not on our own code.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tritonops.errors import ServerError
from tritonops.server import LocalTriton

from ..catalogue import ADD_ONE, python_config


def _python_model(repo: Path, name: str, version: str = "1") -> None:
    folder = repo / name
    (folder / version).mkdir(parents=True)
    (folder / version / "model.py").write_text(ADD_ONE, encoding="utf-8")
    (folder / "config.pbtxt").write_text(python_config(name), encoding="utf-8")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_name_with_a_space_never_becomes_ready(tmp_path: Path) -> None:
    # Observed on 2.51: loading "my model" (python backend) ends in "terminate called after
    # throwing an instance of 'std::invalid_argument' what(): stol" in the log.
    repo = tmp_path / "repo"
    _python_model(repo, "my model")
    with (
        pytest.raises(ServerError),
        LocalTriton(repo, load=["my model"], log_file=tmp_path / "t.log", startup_timeout_s=10),
    ):
        pass


def test_the_same_model_under_a_plain_name_serves(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _python_model(repo, "my_model")
    with LocalTriton(repo, load=["my_model"], log_file=tmp_path / "t.log") as server:
        assert _status(f"http://{server.http_url}/v2/models/my_model/ready") == 200


def test_a_version_folder_beyond_int64_stops_tritonserver(tmp_path: Path) -> None:
    # Observed on 2.51: "terminate called after throwing an instance of 'std::out_of_range'
    # what(): stoll", as core's VersionsToLoad (model_lifecycle.cc) catches only invalid_argument.
    repo = tmp_path / "repo"
    _python_model(repo, "huge", version=str(2**63))
    with (
        pytest.raises(ServerError),
        LocalTriton(repo, load=["huge"], log_file=tmp_path / "t.log", startup_timeout_s=60),
    ):
        pass
