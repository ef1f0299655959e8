"""One tritonserver for the folder, serving the fail-on-demand models of ``models``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tritonops.server import LocalTriton

from .models import MODELS, write_repository


@pytest.fixture(scope="package")
def triton(tmp_path_factory: pytest.TempPathFactory, session_cache: Path) -> Iterator[LocalTriton]:
    repo = write_repository(tmp_path_factory.mktemp("monitoring-repo"))
    log = tmp_path_factory.mktemp("monitoring-log") / "server.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
        with LocalTriton(repo, load=list(MODELS), log_file=log) as server:
            yield server
