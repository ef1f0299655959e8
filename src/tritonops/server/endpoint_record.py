"""Where a repository is being served: a small JSON record next to the project, so that
``ab-test`` and ``perf`` find the embedded server that ``serve`` started on free ports.

The record lives at ``<repository's parent>/.tritonops/served/<repository name>.json`` (for the
usual layout, the project's own ``.tritonops/`` folder) and holds the server's pid and URLs. It is
written once the server is up, removed when it stops, and ignored when its pid is no longer
alive (a server killed without cleanup leaves a stale record behind).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class ServedEndpoint:
    """A running server's addresses: ``grpc`` and ``http`` are host:port, ``metrics`` the URL."""

    pid: int
    repository: str
    grpc: str
    http: str
    metrics: str


class _Served(Protocol):
    """What the record needs from a started server (``LocalTriton`` has it)."""

    @property
    def pid(self) -> int | None: ...

    @property
    def grpc_url(self) -> str: ...

    @property
    def http_url(self) -> str: ...

    @property
    def metrics_url(self) -> str: ...


def record_path(repository: Path) -> Path:
    repository = Path(repository).resolve()
    return repository.parent / ".tritonops" / "served" / f"{repository.name}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def write(repository: Path, endpoint: ServedEndpoint) -> Path:
    path = record_path(repository)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(endpoint), indent=2) + "\n")
    tmp.replace(path)  # readers never see half a record
    return path


def read(repository: Path) -> ServedEndpoint | None:
    """The record of a server still running on ``repository``, else ``None``."""
    path = record_path(repository)
    try:
        endpoint = ServedEndpoint(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return endpoint if _alive(endpoint.pid) else None


def remove(repository: Path) -> None:
    record_path(repository).unlink(missing_ok=True)


@contextlib.contextmanager
def recorded(repository: Path, server: _Served) -> Iterator[None]:
    """Keep a record of ``server`` (started) while the block runs."""
    pid = server.pid
    if pid is None:  # not started: nothing to record
        yield
        return
    write(
        repository,
        ServedEndpoint(
            pid=pid,
            repository=str(Path(repository).resolve()),
            grpc=server.grpc_url,
            http=server.http_url,
            metrics=server.metrics_url,
        ),
    )
    try:
        yield
    finally:
        remove(repository)
