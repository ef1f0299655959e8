"""What the Router remembers: one ``Assignment`` per request, shadow comparisons, per-variant stats.

Records carry a hash of the request key, never the key itself (keys are often user ids).

The hot path writes one plain tuple per request into a bounded deque and one latency into the
variant's ``array('d')``; ``Assignment`` objects and wall-clock times are built only when someone
reads ``assignments``. Both appends are single C calls, atomic under CPython's GIL (a deque is
documented thread-safe for appends), so request threads and asyncio tasks record without a lock.
Errors and shadow comparisons are rare and take the lock.
"""

from __future__ import annotations

import statistics
import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Status = Literal["ok", "error"]

# (variant, assigned, key_hash, started_ns (perf_counter_ns), latency_ms, status, shadow,
#  fallback_from, rule): what one request leaves behind until someone reads ``assignments``
Row: TypeAlias = tuple[str, str, "str | None", int, float, Status, bool, "str | None", "str | None"]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One routed request: who was chosen, who answered, how long it took."""

    variant: str  # the variant that answered (or failed last)
    assigned: str  # the variant routing chose first
    key_hash: str | None  # hex of the key's hash; None for requests without a key
    latency_ms: float
    status: Status
    time: float  # wall-clock (Unix) time at the start
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
    """One variant's requests so far: how many, how many failed, each success's latency (ms)."""

    count: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        """Failed share of the requests, 0 before any."""
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
        self._rows: deque[Row] = deque(maxlen=max_records)
        self.append_row = self._rows.append  # bound C method: the hot path's one write
        self._comparisons: deque[ShadowComparison] = deque(maxlen=max_records)
        # per variant: successful latencies (8 bytes each, no object per value) and error count
        self._latencies: dict[str, array[float]] = {}
        self._errors: dict[str, int] = {}
        self.shadows_dropped = 0
        # one clock pair: a row's perf_counter_ns start becomes wall time only when read
        self._wall0 = time.time()
        self._ns0 = time.perf_counter_ns()

    def latencies(self, variant: str) -> array[float]:
        """The append-only latency store of ``variant`` (routers keep it to skip a lookup)."""
        found = self._latencies.get(variant)
        if found is None:
            found = self._latencies.setdefault(variant, array("d"))  # setdefault: atomic
        return found

    def row(self, row: Row) -> None:
        """Record one request (the hot path: two appends, no lock, unless it failed)."""
        self.append_row(row)
        if row[5] == "ok":
            self.latencies(row[0]).append(row[4])
        else:
            with self._lock:
                self.latencies(row[0])
                self._errors[row[0]] = self._errors.get(row[0], 0) + 1

    def assignment(self, record: Assignment) -> None:
        """Record one request given as an ``Assignment`` (its ``time`` is wall-clock)."""
        started_ns = self._ns0 + round((record.time - self._wall0) * 1e9)
        self.row(
            (
                record.variant, record.assigned, record.key_hash, started_ns, record.latency_ms,
                record.status, record.shadow, record.fallback_from, record.rule,
            )
        )  # fmt: skip

    def comparison(self, record: ShadowComparison) -> None:
        with self._lock:
            self._comparisons.append(record)

    def dropped(self) -> None:
        with self._lock:
            self.shadows_dropped += 1

    def wall_time(self, perf_ns: int) -> float:
        """A ``time.perf_counter_ns()`` reading as Unix time."""
        return self._wall0 + (perf_ns - self._ns0) / 1e9

    @property
    def assignments(self) -> list[Assignment]:
        rows = list(self._rows)  # one C call: a consistent copy under the GIL
        wall0, ns0 = self._wall0, self._ns0
        return [
            Assignment(v, a, k, lat, s, wall0 + (ns - ns0) / 1e9, sh, fb, rule)
            for v, a, k, ns, lat, s, sh, fb, rule in rows
        ]

    @property
    def comparisons(self) -> list[ShadowComparison]:
        with self._lock:
            return list(self._comparisons)

    def stats(self) -> dict[str, VariantStats]:
        """A snapshot: later requests do not change the returned objects."""
        with self._lock:
            errors = dict(self._errors)
            latencies = {name: data.tolist() for name, data in list(self._latencies.items())}
        return {
            name: VariantStats(len(data) + errors.get(name, 0), errors.get(name, 0), data)
            for name, data in latencies.items()
            if data or name in errors  # variants that never served stay out, as before
        }
