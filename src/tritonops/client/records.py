"""What the Router remembers: one ``Assignment`` per request, shadow comparisons, per-variant stats.

Records carry a hash of the request key, never the key itself (keys are often user ids). Writes
come from request threads, asyncio tasks and shadow workers, so one lock guards them; it is held
only for an append and two counter updates.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "error"]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One routed request: who was chosen, who answered, how long it took."""

    variant: str  # the variant that answered (or failed last)
    assigned: str  # the variant routing chose first
    key_hash: str | None  # hex of the key's hash; None for requests without a key
    latency_ms: float
    status: Status
    time: float  # time.time() at the start
    shadow: bool = False  # whether a copy went to the shadow variant
    fallback_from: str | None = None
    rule: str | None = None  # the rule that forced the variant, if one did


@dataclass(frozen=True, slots=True)
class ShadowComparison:
    """A mirrored request: the shadow's answer against the primary's."""

    shadow: str
    primary: str
    key_hash: str | None
    latency_ms: float
    status: Status
    error: str = ""
    max_abs_diff: float | None = None  # over float outputs present in both
    argmax_equal: bool | None = None  # for 2-D float outputs: same argmax on every row
    equal: bool | None = None  # outputs identical (non-float) / within tolerance (float)
    time: float = 0.0


@dataclass
class VariantStats:
    count: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    def percentile(self, q: float) -> float | None:
        """The q-th percentile (0-100) of successful latencies, None before any."""
        data = self.latencies_ms
        if len(data) < 2:
            return data[0] if data else None
        return statistics.quantiles(data, n=100, method="inclusive")[max(0, min(98, int(q) - 1))]


class Recorder:
    """Thread-safe store of assignments, shadow comparisons and per-variant stats."""

    def __init__(self, max_records: int | None = 100_000) -> None:
        self._lock = threading.Lock()
        self._assignments: deque[Assignment] = deque(maxlen=max_records)
        self._comparisons: deque[ShadowComparison] = deque(maxlen=max_records)
        self._stats: dict[str, VariantStats] = {}
        self.shadows_dropped = 0

    def assignment(self, record: Assignment) -> None:
        with self._lock:
            self._assignments.append(record)
            stats = self._stats.get(record.variant)
            if stats is None:
                stats = self._stats[record.variant] = VariantStats()
            stats.count += 1
            if record.status == "ok":
                stats.latencies_ms.append(record.latency_ms)
            else:
                stats.errors += 1

    def comparison(self, record: ShadowComparison) -> None:
        with self._lock:
            self._comparisons.append(record)

    def dropped(self) -> None:
        with self._lock:
            self.shadows_dropped += 1

    @property
    def assignments(self) -> list[Assignment]:
        with self._lock:
            return list(self._assignments)

    @property
    def comparisons(self) -> list[ShadowComparison]:
        with self._lock:
            return list(self._comparisons)

    def stats(self) -> dict[str, VariantStats]:
        """A snapshot: later requests do not change the returned objects."""
        with self._lock:
            return {
                name: VariantStats(s.count, s.errors, list(s.latencies_ms))
                for name, s in self._stats.items()
            }
