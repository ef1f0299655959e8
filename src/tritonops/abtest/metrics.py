"""Triton's own view of an experiment: per-model counters from its Prometheus metrics port.

Client-side latency includes the network and this process; Triton's counters do not, and they see
traffic from every client. A ramp checks both. Triton exports cumulative counters per model and
version; a window's numbers are the difference of two scrapes (``delta``), summed over versions.
Text is parsed with prometheus_client's reference parser.

Counters read (all cumulative since the model loaded; durations in microseconds):
``nv_inference_request_success``, ``nv_inference_request_failure``, ``nv_inference_count``,
``nv_inference_exec_count``, ``nv_inference_request_duration_us``,
``nv_inference_queue_duration_us``,
``nv_inference_compute_input_duration_us``, ``nv_inference_compute_infer_duration_us``,
``nv_inference_compute_output_duration_us``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields

from prometheus_client.parser import text_string_to_metric_families

from tritonops.errors import ExperimentError

_COUNTERS = {
    "nv_inference_request_success": "success",
    "nv_inference_request_failure": "failure",
    "nv_inference_count": "inferences",
    "nv_inference_exec_count": "executions",
    "nv_inference_request_duration_us": "request_us",
    "nv_inference_queue_duration_us": "queue_us",
    "nv_inference_compute_input_duration_us": "compute_input_us",
    "nv_inference_compute_infer_duration_us": "compute_infer_us",
    "nv_inference_compute_output_duration_us": "compute_output_us",
}


@dataclass(frozen=True)
class ModelCounters:
    """One model's counters (summed over its versions), or their change over a window."""

    success: float = 0.0
    failure: float = 0.0
    inferences: float = 0.0
    executions: float = 0.0
    request_us: float = 0.0
    queue_us: float = 0.0
    compute_input_us: float = 0.0
    compute_infer_us: float = 0.0
    compute_output_us: float = 0.0

    @property
    def requests(self) -> float:
        return self.success + self.failure

    @property
    def failure_rate(self) -> float | None:
        return self.failure / self.requests if self.requests else None

    def _mean_ms(self, total_us: float) -> float | None:
        # Triton adds durations of successful requests only
        return total_us / self.success / 1000 if self.success else None

    @property
    def mean_request_ms(self) -> float | None:
        return self._mean_ms(self.request_us)

    @property
    def mean_queue_ms(self) -> float | None:
        return self._mean_ms(self.queue_us)

    @property
    def mean_compute_ms(self) -> float | None:
        return self._mean_ms(self.compute_input_us + self.compute_infer_us + self.compute_output_us)

    def minus(self, earlier: ModelCounters) -> ModelCounters:
        values = {f.name: getattr(self, f.name) - getattr(earlier, f.name) for f in fields(self)}
        return ModelCounters(**values)

    def to_json(self) -> dict[str, float | None]:
        out: dict[str, float | None] = dict(asdict(self))
        out.update(
            requests=self.requests,
            failure_rate=self.failure_rate,
            mean_request_ms=self.mean_request_ms,
            mean_queue_ms=self.mean_queue_ms,
            mean_compute_ms=self.mean_compute_ms,
        )
        return out


Snapshot = dict[str, ModelCounters]


def parse_metrics(text: str) -> Snapshot:
    """Per-model counters from Triton's metrics text (models without counters are absent)."""
    totals: dict[str, dict[str, float]] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise ExperimentError(f"Triton's metrics text does not parse: {exc}") from exc
    for family in families:
        for sample in family.samples:
            # the parser names counter samples "<name>_total" whatever Triton wrote
            field_name = _COUNTERS.get(sample.name.removesuffix("_total"))
            model = sample.labels.get("model")
            if field_name is None or model is None:
                continue
            counters = totals.setdefault(model, {})
            counters[field_name] = counters.get(field_name, 0.0) + float(sample.value)
    return {model: ModelCounters(**values) for model, values in totals.items()}


def delta(before: Mapping[str, ModelCounters], after: Mapping[str, ModelCounters]) -> Snapshot:
    """What each model did between two scrapes (a model loaded in between counts from zero)."""
    return {m: counters.minus(before.get(m, ModelCounters())) for m, counters in after.items()}


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
    full = url if "://" in url else f"http://{url}"
    full = full if full.rstrip("/").endswith("/metrics") else full.rstrip("/") + "/metrics"

    def fetch() -> str:
        try:
            with urllib.request.urlopen(full, timeout=timeout_s) as response:
                body: bytes = response.read()
        except OSError as exc:
            raise ExperimentError(
                f"cannot read Triton's metrics at {full}: {exc} — check --metrics-url"
            ) from exc
        return body.decode("utf-8", "replace")

    return fetch
