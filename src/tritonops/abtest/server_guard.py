"""Triton's own view of an experiment: its per-model counters checked against the ramp's limits.

Client-side latency includes the network and this process; Triton's counters do not, and they see
traffic from every client. A ramp checks both. Reading, parsing and differencing the metrics page
lives in ``tritonops.server.metrics``; this module keeps the experiment's side: ``ServerGuard``,
``server_breaches``, and ``scraper`` (the fetch ``run_async`` calls), all raising
``ExperimentError``. ``ModelCounters``, ``parse_metrics`` and ``delta`` stay importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tritonops.errors import ExperimentError, MetricsError
from tritonops.server import metrics as shared
from tritonops.server.metrics import ModelCounters, delta

__all__ = [
    "ModelCounters",
    "ServerGuard",
    "Snapshot",
    "delta",
    "parse_metrics",
    "scraper",
    "server_breaches",
]

# abtest's reports and ramp state hold per-model counters only, keyed by model
Snapshot = dict[str, ModelCounters]


def parse_metrics(text: str) -> Snapshot:
    """Per-model counters from Triton's metrics text (models without counters are absent)."""
    try:
        return dict(shared.parse(text).models)
    except MetricsError as exc:
        raise ExperimentError(str(exc)) from exc


@dataclass(frozen=True)
class ServerGuard:
    """Limits a ramp checks against Triton's counters for the candidate's model."""

    max_failure_rate: float | None
    # Triton reports a mean per window, not percentiles: the mean request time must stay under the
    # strictest latency SLO (a p50 limit when set, since the mean tracks the middle, else p95/p99)
    max_mean_request_ms: float | None
    min_requests: int = 1


def server_breaches(
    model: str, window: Mapping[str, ModelCounters], guard: ServerGuard
) -> list[str]:
    """Readable breaches of ``guard`` by ``model`` over one window of server counters."""
    counters = window.get(model)
    if counters is None or counters.requests < guard.min_requests:
        return []
    breaches: list[str] = []
    rate = counters.failure_rate
    if guard.max_failure_rate is not None and rate is not None and rate > guard.max_failure_rate:
        breaches.append(
            f"Triton: {model} failure rate {rate:.2%} > SLO {guard.max_failure_rate:.2%}"
            f" ({counters.failure:g} of {counters.requests:g})"
        )
    mean, limit = counters.mean_request_ms, guard.max_mean_request_ms
    if limit is not None and mean is not None and mean > limit:
        breaches.append(f"Triton: {model} mean request time {mean:.1f} ms > SLO {limit:g} ms")
    return breaches


def scraper(url: str, timeout_s: float = 5.0) -> Callable[[], str]:
    """A fetch of ``url`` (``host:port`` or a full URL of Triton's /metrics) for ``run_async``.

    The client package has no metrics call, so this plain HTTP GET is abtest's one request that
    does not go through ``tritonops.client``.
    """

    def fetch() -> str:
        try:
            return shared.fetch(url, timeout_s)
        except MetricsError as exc:
            raise ExperimentError(str(exc)) from exc

    return fetch
