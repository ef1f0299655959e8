"""Serve a repository in the foreground: start, load every model, wait for Ctrl-C, stop."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class _Stop:
    """SIGTERM handler: the first one stops like Ctrl-C; later ones wait for that stop to finish.

    A second KeyboardInterrupt raised while the server is being stopped would abandon the stop
    and could leave tritonserver (in its own process group) running with no parent.
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: object) -> None:
        if not self.requested:
            self.requested = True
            raise KeyboardInterrupt


@contextmanager
def sigterm_stops() -> Iterator[None]:
    """While inside, SIGTERM (docker stop, kubectl, systemd, a supervisor) acts like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, _Stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def wait_while_serving(server: LocalTriton, poll_s: float = 0.5) -> None:
    """Block until Ctrl-C or SIGTERM (returns) or until the server dies (raises ServerError)."""
    try:
        while server.is_running():
            time.sleep(poll_s)
    except KeyboardInterrupt:
        return
    raise ServerError("tritonserver stopped on its own:\n" + server.log_tail(problems_only=True))


def serve_forever(
    server: LocalTriton,
    on_ready: Callable[[LocalTriton, list[LoadOutcome]], None],
    poll_s: float = 0.5,
) -> None:
    """Start, load every model, report, then block until Ctrl-C/SIGTERM or the server dies.

    While it serves, the server's URLs are recorded next to the repository, so `ab-test` and
    `perf` find it without `--url`.
    """
    with sigterm_stops():
        try:  # Ctrl-C or SIGTERM at any point (even while models load) stops the server cleanly
            with server, endpoint_record.recorded(server.options.repository, server):
                outcomes = load_all(server, model_folders(server.options.repository))
                on_ready(server, outcomes)
                wait_while_serving(server, poll_s)
        except KeyboardInterrupt:
            return
