"""A circuit breaker per variant: stop sending to a variant that keeps failing, probe it later.

Closed → open after ``failures`` consecutive failures, or when the error rate over the last
``window`` calls reaches ``error_rate`` (once ``window`` calls were seen). Open → half-open after
``cooldown_s``: one probe request is let through; its success closes the circuit, its failure opens
it for another cooldown.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class CircuitSettings:
    """When a variant's breaker opens, and for how long (see the module's docstring).

    ``failures`` consecutive failures, or an error rate of ``error_rate`` over the last
    ``window`` calls, open it; after ``cooldown_s`` seconds one probe request may close it.
    """

    failures: int = 5
    window: int = 20
    error_rate: float = 0.5
    cooldown_s: float = 5.0


class Circuit:
    """One variant's breaker; thread-safe (a short lock around a few field updates)."""

    def __init__(
        self, settings: CircuitSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._consecutive = 0
        self._recent: deque[bool] = deque(maxlen=settings.window)
        self._opened_at = 0.0
        self._probing = False
        self.opened = 0  # how many times it opened

    @property
    def state(self) -> State:
        """``"closed"`` (sending), ``"open"`` (skipped until the cooldown ends) or
        ``"half_open"`` (one probe allowed)."""
        with self._lock:
            return self._current()

    def _current(self) -> State:
        if self._state == "open" and self._clock() - self._opened_at >= self.settings.cooldown_s:
            self._state = "half_open"
            self._probing = False
        return self._state

    def allow(self) -> bool:
        """Whether a request may go to this variant now (claims the probe when half-open)."""
        if self._state == "closed":  # the common case: no lock to read one field
            return True
        with self._lock:
            state = self._current()
            if state == "closed":
                return True
            if state == "half_open" and not self._probing:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        """``record(True)``, without the lock while closed (the hot path).

        A deque append is atomic under the GIL, and a success only ever resets the failure
        streak, so a closed circuit needs no lock; half-open (closing) takes the locked path.
        """
        if self._state == "closed":
            self._recent.append(True)
            if self._consecutive:
                self._consecutive = 0
            return
        self.record(True)

    def record(self, ok: bool) -> None:
        """Count one call's outcome; may open or close the circuit."""
        with self._lock:
            self._recent.append(ok)
            if ok:
                self._consecutive = 0
                if self._state == "half_open":
                    self._state = "closed"
                    self._recent.clear()
                return
            self._consecutive += 1
            if self._state == "half_open" or self._should_open():
                self._open()

    def _should_open(self) -> bool:
        s = self.settings
        if self._consecutive >= s.failures:
            return True
        recent = self._recent
        return len(recent) >= s.window and recent.count(False) / len(recent) >= s.error_rate

    def _open(self) -> None:
        self._state = "open"
        self._opened_at = self._clock()
        self._probing = False
        self.opened += 1
