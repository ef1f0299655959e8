"""The windows the rules use, and the one parameter that scales them for tests.

Production windows are the Google SRE workbook's ("Alerting on SLOs", sre.google/workbook/
alerting-on-slos, "Multiwindow, Multi-Burn-Rate Alerts"): page when the error budget of a 30-day
SLO burns 14.4 times too fast over 1 hour and over its last 5 minutes (2 % of the budget spent
in an hour), or 6 times too fast over 6 hours and its last 30 minutes (5 % in six hours). The short
window makes the alert stop soon after the burn stops.

``Timing(scale=...)`` multiplies every window and ``for`` duration: a test that cannot wait an hour
renders the same rules with ``scale=1/60`` (1 h → 1 min). A window must stay above twice the
scrape interval for ``rate()`` to have two samples; the production rules always use ``scale=1``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tritonops.errors import MonitoringError

SLO_PERIOD_DAYS = 30


@dataclass(frozen=True)
class BurnWindow:
    """One multiwindow burn-rate alert: both windows must burn faster than ``factor``."""

    name: str  # "fast" or "slow"
    long_s: int
    short_s: int
    factor: float
    budget_spent: float  # share of a 30-day budget spent over ``long_s`` at ``factor``


BURN_WINDOWS = (
    BurnWindow("fast", 3600, 300, 14.4, 0.02),
    BurnWindow("slow", 6 * 3600, 1800, 6.0, 0.05),
)
RATE_WINDOW_S = 300  # the dashboard's and the recorded rates' window
LATENCY_FOR_S = 300  # a latency or queue limit must be broken this long before paging
THROUGHPUT_FOR_S = 600  # traffic must stay under the floor this long


@dataclass(frozen=True)
class Timing:
    """Every duration the rules write, times ``scale`` (1: production)."""

    scale: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.scale <= 1:
            raise MonitoringError(
                f"the time scale must be in (0, 1] (got {self.scale}) — use 1 in production"
            )

    def seconds(self, seconds: float) -> float:
        return seconds * self.scale

    def duration(self, seconds: float) -> str:
        """A Prometheus duration: 3600 → ``1h``, 300 → ``5m``, 1.5 → ``1500ms``."""
        return prometheus_duration(self.seconds(seconds))

    @property
    def windows(self) -> list[int]:
        """Every rate window the rules record, in production seconds."""
        found = {RATE_WINDOW_S}
        for window in BURN_WINDOWS:
            found |= {window.long_s, window.short_s}
        return sorted(found)


def prometheus_duration(seconds: float) -> str:
    """The shortest exact Prometheus duration for ``seconds`` (milliseconds at least)."""
    millis = round(seconds * 1000)
    if millis <= 0:
        raise MonitoringError(f"a window of {seconds} s is too short — raise the time scale")
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"
