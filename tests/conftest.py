"""Tiers by folder: tests/unit (no server), tests/integration (real tritonserver),
tests/journeys (a fresh project through every command, real tritonserver), tests/gpu."""

from __future__ import annotations

from pathlib import Path

import pytest

_TIERS = {
    "unit": pytest.mark.unit,
    "integration": pytest.mark.integration,
    "journeys": pytest.mark.journeys,
    "gpu": pytest.mark.gpu,
}


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
