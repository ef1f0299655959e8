"""Triton's Prometheus metrics, scraped before and after a run: what the server saw meanwhile."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from tritonops.errors import PerfError
from tritonops.perf.results import ServerTimes

Key = tuple[str, frozenset[tuple[str, str]]]

# cumulative per-model counters whose delta over a run is the server's side of it
_DURATIONS = {
    "queue_us": "nv_inference_queue_duration_us",
    "compute_input_us": "nv_inference_compute_input_duration_us",
    "compute_infer_us": "nv_inference_compute_infer_duration_us",
    "compute_output_us": "nv_inference_compute_output_duration_us",
}
# gauges read at the end of a run, reported where the server exports them (GPU ones need NVML)
_GAUGES = ("nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_cpu_utilization")


@dataclass(frozen=True)
class Snapshot:
    """Every sample on the metrics page, keyed by name and label set."""

    values: Mapping[Key, float]

    def total(self, name: str, **labels: str) -> float:
        """Sum of ``name`` over the samples whose labels include ``labels``."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.values.items() if n == name and want <= ls)

    def has(self, name: str) -> bool:
        return any(n == name for n, _ in self.values)


def parse(text: str) -> Snapshot:
    values: dict[Key, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                # the parser appends `_total` to counters; keep Triton's own metric names
                name = family.name if sample.name == f"{family.name}_total" else sample.name
                values[(name, frozenset(sample.labels.items()))] = float(sample.value)
    except ValueError as exc:
        raise PerfError(f"the metrics page does not parse as Prometheus text: {exc}") from exc
    return Snapshot(values)


def scrape(url: str, timeout_s: float = 10.0) -> Snapshot:
    """Fetch and parse ``url`` (``http://host:8002/metrics``)."""
    if not url.startswith(("http://", "https://")):
        url = f"http://{url}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return parse(response.read().decode(errors="replace"))
    except (urllib.error.URLError, OSError) as exc:
        raise PerfError(
            f"cannot read Triton's metrics at {url}: {exc} — check --metrics-url or that the "
            "server runs with --allow-metrics=true"
        ) from exc


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


def delta(before: Snapshot, after: Snapshot, model: str) -> ModelDelta:
    def d(name: str) -> float:
        return after.total(name, model=model) - before.total(name, model=model)

    success = d("nv_inference_request_success")
    server = None
    if success > 0 and all(after.has(m) for m in _DURATIONS.values()):
        # Triton's duration counters sum over requests: divide by successful requests for a mean
        server = ServerTimes(**{field: d(metric) / success for field, metric in _DURATIONS.items()})
    gauges = {g: after.total(g) for g in _GAUGES if after.has(g)}
    return ModelDelta(
        success=success,
        failure=d("nv_inference_request_failure"),
        inferences=d("nv_inference_count"),
        executions=d("nv_inference_exec_count"),
        server=server,
        gauges=gauges,
    )
