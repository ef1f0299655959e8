"""Fixtures that start real tritonservers on free loopback ports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tritonops.errors import ServerError
from tritonops.server import find_tritonserver


@pytest.fixture(scope="session", autouse=True)
def _tritonserver_available() -> None:
    """Integration tests need a tritonserver; CI sets TRITONOPS_REQUIRE_SERVER so none skips."""
    try:
        find_tritonserver()
    except ServerError as exc:
        if os.environ.get("TRITONOPS_REQUIRE_SERVER"):
            raise
        pytest.skip(f"no tritonserver here: {exc}")


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One backend-directory cache for the whole session (preparing it copies the stub)."""
    return tmp_path_factory.mktemp("tritonops-cache")


@pytest.fixture(autouse=True)
def _shared_cache(session_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
