"""Tiers by folder: tests/unit (no server), tests/integration (real tritonserver),
tests/journeys (a fresh project through every command, real tritonserver), tests/gpu."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from tritonops.errors import ServerError
from tritonops.server import find_tritonserver

_TIERS = {
    "unit": pytest.mark.unit,
    "integration": pytest.mark.integration,
    "journeys": pytest.mark.journeys,
    "gpu": pytest.mark.gpu,
}
_SERVER_TIERS = ("integration", "journeys")  # the tiers that start a real tritonserver


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier, mark in _TIERS.items():
            if tier in parts:
                item.add_marker(mark)


@pytest.fixture(autouse=True)
def _own_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own HOME and cache dir, so no test sees another's leftovers."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))


@functools.cache
def _server_missing() -> str | None:
    """Why no tritonserver can run here (None: one can); CI sets TRITONOPS_REQUIRE_SERVER so a
    missing server fails those tiers instead of skipping them."""
    try:
        find_tritonserver()
    except ServerError as exc:
        if os.environ.get("TRITONOPS_REQUIRE_SERVER"):
            raise
        return str(exc)
    return None


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One backend-directory cache for the whole session (preparing it copies the stub)."""
    return tmp_path_factory.mktemp("tritonops-cache")


@pytest.fixture(scope="session")
def tritonserver_available() -> None:
    """For fixtures wider than a test, which run before ``_server_tier``'s skip."""
    missing = _server_missing()
    if missing is not None:
        pytest.skip(f"no tritonserver here: {missing}")


@pytest.fixture(autouse=True)
def _server_tier(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the server tiers need a tritonserver and share one backend-directory cache."""
    if not any(request.node.get_closest_marker(tier) for tier in _SERVER_TIERS):
        return
    missing = _server_missing()
    if missing is not None:
        pytest.skip(f"no tritonserver here: {missing}")
    monkeypatch.setenv("TRITONOPS_CACHE_DIR", str(request.getfixturevalue("session_cache")))
