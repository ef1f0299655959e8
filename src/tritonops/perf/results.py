"""The result schema both engines produce: one ``LevelResult`` per load level, in microseconds.

Latencies and server times are in µs (perf_analyzer's unit, so its CSV maps without rounding);
throughput is inferences per second (requests × batch size), as perf_analyzer counts it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tritonops.errors import PerfError

LoadKind = Literal["concurrency", "rate", "intervals"]
Engine = Literal["perf_analyzer", "builtin"]


@dataclass(frozen=True)
class Latency:
    """Client-side latency percentiles and mean, µs."""

    p50_us: float
    p90_us: float
    p95_us: float
    p99_us: float
    avg_us: float


@dataclass(frozen=True)
class ServerTimes:
    """Average per-request time spent in each server stage, µs (from metrics or perf_analyzer)."""

    queue_us: float
    compute_input_us: float
    compute_infer_us: float
    compute_output_us: float


@dataclass(frozen=True)
class WindowSeen:
    """One measurement window as it went by: what an unstable level is reported with.

    ``latency_kind`` says which statistic ``latency_us`` is (perf_analyzer prints the one it
    stabilizes on: the average, or the ``--percentile`` it was given)."""

    throughput: float
    latency_us: float
    latency_kind: str = "avg"


@dataclass(frozen=True)
class LevelResult:
    """One load level: what was offered and what came back."""

    load: float  # the concurrency, or the offered request rate (req/s)
    throughput: float  # inferences/s
    latency: Latency
    requests: int = 0
    errors: int = 0
    client_send_us: float | None = None
    client_recv_us: float | None = None
    server: ServerTimes | None = None
    # what the metrics port said during this level (success/failure deltas, CPU/GPU gauges)
    metrics: dict[str, float] = field(default_factory=dict)
    # False when the windows never agreed within the stability tolerance; ``windows`` then holds
    # what each window saw, and the throughput/latency fields summarize those windows
    stable: bool = True
    windows: list[WindowSeen] = field(default_factory=list)


@dataclass
class PerfResult:
    """A full measurement of one model; serializes to the JSON that ``perf compare`` reads."""

    model: str
    engine: Engine
    url: str
    protocol: str
    load_kind: LoadKind
    batch_size: int = 1
    levels: list[LevelResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": 1, **asdict(self)}

    def unmeasured(self) -> list[float]:
        """The loads at which no window saw a request finish (nothing to report but the why)."""
        return [level.load for level in self.levels if math.isnan(level.throughput)]

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerfResult:
        levels = []
        for raw in data.get("levels", []):
            raw = dict(raw)
            raw["latency"] = Latency(**raw["latency"])
            if raw.get("server") is not None:
                raw["server"] = ServerTimes(**raw["server"])
            raw["windows"] = [WindowSeen(**w) for w in raw.get("windows", [])]
            levels.append(LevelResult(**raw))
        return cls(
            model=data["model"],
            engine=data["engine"],
            url=data["url"],
            protocol=data["protocol"],
            load_kind=data["load_kind"],
            batch_size=int(data.get("batch_size", 1)),
            levels=levels,
            notes=list(data.get("notes", [])),
        )

    @classmethod
    def load(cls, path: Path) -> PerfResult:
        try:
            return cls.from_dict(json.loads(Path(path).read_text()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PerfError(
                f"{path} is not a tritonops perf result ({type(exc).__name__}: {exc}) — "
                "write one with `tritonops perf MODEL --report DIR` (DIR/result.json)"
            ) from exc

    def level(self, load: float) -> LevelResult | None:
        return next((lv for lv in self.levels if lv.load == load), None)


@dataclass(frozen=True)
class Reading:
    """One measurement of a served config at one load: its throughput and the latency of EVERY
    request it completed (µs), so that repeats can be pooled into percentiles over all requests
    rather than averaged per window."""

    throughput: float  # inferences/s
    latencies_us: tuple[float, ...]

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_us, q)


def percentile(values: tuple[float, ...] | list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
