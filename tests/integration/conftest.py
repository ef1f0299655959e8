"""Integration tests start real tritonservers on free loopback ports.

The tier's shared fixtures (server available, one backend cache) live in tests/conftest.py. Here:
``catalogue_server``, the one server of the session for every test that only sends requests to
models of the catalogue (catalogue.py) and never unloads or stops them (the perf tuner
reloads ``overhead`` and restores its config before it returns); each start
of a tritonserver costs seconds, so folders share it instead of starting their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tritonops.server import LocalTriton

from .abtest import abtest_models
from .catalogue import (
    batch_add_model,
    failing_model,
    onnx_model,
    overhead_model,
    python_model,
    stream_model,
    string_model,
)
from .monitoring import models as monitoring_models


def write_session_repository(repo: Path) -> list[str]:
    """The session server's repository; returns the names of its models."""
    python_model(repo, "add_one")
    python_model(repo, "add_one_v2")
    onnx_model(repo, "matmul")
    string_model(repo, "shout")
    batch_add_model(repo, "add")
    overhead_model(repo, "overhead")
    stream_model(repo, "stream")
    failing_model(repo, "fails")
    abtest_models.write_repository(repo)
    monitoring_models.write_repository(repo)
    return sorted(p.name for p in repo.iterdir())


@pytest.fixture(scope="session")
def catalogue_server(
    tmp_path_factory: pytest.TempPathFactory, session_cache: Path, tritonserver_available: None
) -> Iterator[LocalTriton]:
    repo = tmp_path_factory.mktemp("catalogue-repo")
    names = write_session_repository(repo)
    log = tmp_path_factory.mktemp("catalogue-log") / "server.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
        with LocalTriton(repo, load=names, log_file=log) as server:
            yield server
