"""Triton's Prometheus metrics page (``http://host:8002/metrics``): fetched, parsed, differenced.

Holds the one reader of that page for every caller (abtest's server guard, perf's server times,
the benchmarks): ``metrics_url`` normalises an address, ``fetch`` reads the text, ``parse`` turns
it into a ``Scrape`` (per-model counters summed over versions, and server-wide gauges), ``scrape``
does both, and ``delta`` gives what each model did between two scrapes. Text is parsed with
prometheus_client's reference parser. Failures raise ``MetricsError``, naming the URL and the fix.

Per-model counters read (cumulative since the model loaded; durations in microseconds, summed over
successful requests only): ``nv_inference_request_success``, ``nv_inference_request_failure``,
``nv_inference_count``, ``nv_inference_exec_count``, ``nv_inference_request_duration_us``,
``nv_inference_queue_duration_us``, ``nv_inference_compute_input_duration_us``,
``nv_inference_compute_infer_duration_us``, ``nv_inference_compute_output_duration_us``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields

from prometheus_client.parser import text_string_to_metric_families

from tritonops.errors import MetricsError
from tritonops.triton import rest
from tritonops.triton.rest import metrics_url as metrics_url  # its home is the boundary

# Triton's metric name -> ModelCounters field
COUNTERS: Mapping[str, str] = {
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
# untyped families count as gauges: a page without `# TYPE` lines still yields its readings
_GAUGE_TYPES = ("gauge", "unknown")
_FIX = "check the metrics URL (--metrics-url) and that the server runs with --allow-metrics=true"


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


@dataclass(frozen=True)
class Scrape:
    """One read of the metrics page."""

    # per model, summed over versions (models without any counter are absent)
    models: Mapping[str, ModelCounters] = field(default_factory=dict)
    # readings without a model label (nv_cpu_utilization, nv_gpu_utilization, ...), summed over
    # their other labels: one value per name even when a gauge is exported per GPU
    gauges: Mapping[str, float] = field(default_factory=dict)
    # ModelCounters fields the page carried: a missing one reads 0, which is not a measurement
    # (Triton can be told not to export latency counters)
    exported: frozenset[str] = frozenset()


def fetch(url: str, timeout_s: float = 10.0) -> str:
    """The metrics page's text at ``url`` (any form ``metrics_url`` accepts)."""
    full = metrics_url(url)
    try:
        reply = rest.metrics_text(full, timeout_s)
    except rest.NoAnswer as exc:
        raise MetricsError(f"cannot read Triton's metrics at {full}: {exc} — {_FIX}") from exc
    if not reply.ok:
        raise MetricsError(f"cannot read Triton's metrics at {full}: HTTP {reply.status} — {_FIX}")
    return reply.text()


def parse(text: str, url: str | None = None) -> Scrape:
    """Counters and gauges from the page's text; ``url`` only names the page in errors."""
    try:
        # the parser is lazy: listing it here keeps its errors inside this try
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        where = f" at {url}" if url else ""
        raise MetricsError(
            f"Triton's metrics page{where} does not parse as Prometheus text: {exc} — {_FIX}"
        ) from exc
    totals: dict[str, dict[str, float]] = {}
    gauges: dict[str, float] = {}
    for family in families:
        for sample in family.samples:
            # the parser names counter samples "<name>_total" whatever Triton wrote
            field_name = COUNTERS.get(sample.name.removesuffix("_total"))
            model = sample.labels.get("model")
            if field_name is not None and model is not None:
                counters = totals.setdefault(model, {})
                counters[field_name] = counters.get(field_name, 0.0) + float(sample.value)
            elif model is None and family.type in _GAUGE_TYPES:
                gauges[sample.name] = gauges.get(sample.name, 0.0) + float(sample.value)
    return Scrape(
        models={model: ModelCounters(**values) for model, values in totals.items()},
        gauges=gauges,
        exported=frozenset(name for values in totals.values() for name in values),
    )


def scrape(url: str, timeout_s: float = 10.0) -> Scrape:
    """``fetch`` then ``parse`` the page at ``url``."""
    return parse(fetch(url, timeout_s), url=metrics_url(url))


def delta(
    before: Mapping[str, ModelCounters], after: Mapping[str, ModelCounters]
) -> dict[str, ModelCounters]:
    """What each model did between two scrapes (a model loaded in between counts from zero)."""
    return {m: counters.minus(before.get(m, ModelCounters())) for m, counters in after.items()}
