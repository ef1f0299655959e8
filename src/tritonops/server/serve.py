"""Serve a repository in the foreground: start, load every model, wait for Ctrl-C, stop."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tritonops.errors import ModelLoadError, ServerError
from tritonops.server import endpoint_record
from tritonops.server.local import LocalTriton


@dataclass(frozen=True)
class LoadOutcome:
    model: str
    loaded: bool
    reason: str = ""


def model_folders(repo: Path) -> list[str]:
    return sorted(p.name for p in repo.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_all(server: LocalTriton, models: list[str]) -> list[LoadOutcome]:
    """Load each model; a failing one is reported and the others still load."""
    outcomes = []
    for name in models:
        if server.model_ready(name):  # loaded already as an ensemble's step: a load would reload
            outcomes.append(LoadOutcome(name, True))
            continue
        try:
            server.load(name)
        except ModelLoadError as exc:
            outcomes.append(LoadOutcome(name, False, exc.reason))
        else:
            outcomes.append(LoadOutcome(name, True))
    return outcomes


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve_forever(
    server: LocalTriton,
    on_ready: Callable[[LocalTriton, list[LoadOutcome]], None],
    poll_s: float = 0.5,
) -> None:
    """Start, load every model, report, then block until Ctrl-C or the server dies."""
    # SIGTERM (docker stop, kubectl, systemd) stops as cleanly as Ctrl-C
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    with server, endpoint_record.recorded(server.options.repository, server):
        try:  # Ctrl-C at any point (even while models load) stops the server cleanly
            outcomes = load_all(server, model_folders(server.options.repository))
            on_ready(server, outcomes)
            while server.is_running():
                time.sleep(poll_s)
        except KeyboardInterrupt:
            return
        raise ServerError(
            "tritonserver stopped on its own:\n" + server.log_tail(problems_only=True)
        )
