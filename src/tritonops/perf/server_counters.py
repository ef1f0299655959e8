"""What Triton's metrics say about one perf level: the server's side of a run, as perf reports it.

Fetching, parsing and per-model counters live in ``tritonops.server.metrics``; this module maps
two scrapes around a level to ``ModelDelta`` (counts, ``ServerTimes``, end-of-run gauges) and
raises ``PerfError`` where the shared reader raises ``MetricsError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tritonops.errors import MetricsError, PerfError
from tritonops.perf.results import ServerTimes
from tritonops.server import metrics as shared
from tritonops.server.metrics import ModelCounters, Scrape

# ServerTimes fields: each is a ModelCounters field of the same name, a sum over successful requests
_DURATIONS = ("queue_us", "compute_input_us", "compute_infer_us", "compute_output_us")
# gauges read at the end of a run, reported where the server exports them (GPU ones need NVML)
_GAUGES = ("nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_cpu_utilization")


def parse(text: str) -> Scrape:
    """The metrics page's text, parsed (``PerfError`` when it is not Prometheus text)."""
    try:
        return shared.parse(text)
    except MetricsError as exc:
        raise PerfError(str(exc)) from exc


def scrape(url: str, timeout_s: float = 10.0) -> Scrape:
    """Fetch and parse ``url`` (``http://host:8002/metrics``, or ``host:8002``)."""
    try:
        return shared.scrape(url, timeout_s)
    except MetricsError as exc:
        raise PerfError(str(exc)) from exc


@dataclass(frozen=True)
class ModelDelta:
    """What one model's counters did between two snapshots."""

    success: float
    failure: float
    inferences: float
    executions: float
    server: ServerTimes | None
    gauges: Mapping[str, float]

    def as_metrics(self) -> dict[str, float]:
        out = {
            "request_success": self.success,
            "request_failure": self.failure,
            "inference_count": self.inferences,
            "execution_count": self.executions,
        }
        if self.executions > 0:
            out["avg_batch_per_execution"] = self.inferences / self.executions
        out.update(self.gauges)
        return out


def delta(before: Scrape, after: Scrape, model: str) -> ModelDelta:
    """``model``'s side of the run between ``before`` and ``after`` (absent counts as zero)."""
    window = after.models.get(model, ModelCounters()).minus(
        before.models.get(model, ModelCounters())
    )
    server = None
    if window.success > 0 and after.exported.issuperset(_DURATIONS):
        # Triton's duration counters sum over requests: divide by successful requests for a mean
        server = ServerTimes(**{f: getattr(window, f) / window.success for f in _DURATIONS})
    return ModelDelta(
        success=window.success,
        failure=window.failure,
        inferences=window.inferences,
        executions=window.executions,
        server=server,
        gauges={g: after.gauges[g] for g in _GAUGES if g in after.gauges},
    )
