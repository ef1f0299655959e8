"""Triton's metric names (the rules' inputs) and the names of the recorded series (their outputs).

Triton's names and labels, per Triton 2.51's docs/user_guide/metrics.md (tag v2.51.0 of
triton-inference-server/server) and checked by scraping the embedded tritonserver 2.51
(tests/integration/monitoring): every per-model series carries ``model`` and ``version``;
``nv_inference_request_failure`` also carries ``reason`` (REJECTED, CANCELED, BACKEND, OTHER),
and all four exist at 0 from the moment a model loads. Durations are cumulative microseconds.
Summaries are off unless the server runs with ``--metrics-config summary_latencies=true``; they
then carry ``quantile`` labels 0.5, 0.9, 0.95, 0.99 and 0.999 (the default set) and read NaN while
the summary's window holds no request. Triton 2.51 has no latency histogram for whole requests
(its only histogram, the time to first response, came with ``histogram_latencies`` later).

Recorded names follow Prometheus' ``level:metric:operations`` convention (prometheus.io, "Recording
rules"): level ``model_version`` (summed over every replica by model and version), then Triton's
metric, then what was done to it, with the window it used (``rate5m``, ``ratio_rate1h``).
"""

from __future__ import annotations

# counters (per model and version)
SUCCESS = "nv_inference_request_success"
FAILURE = "nv_inference_request_failure"  # plus a `reason` label
INFERENCES = "nv_inference_count"  # a batch of n counts n
EXECUTIONS = "nv_inference_exec_count"  # one per batch the model ran
REQUEST_US = "nv_inference_request_duration_us"
QUEUE_US = "nv_inference_queue_duration_us"
COMPUTE_US = (
    "nv_inference_compute_input_duration_us",
    "nv_inference_compute_infer_duration_us",
    "nv_inference_compute_output_duration_us",
)
# gauges
PENDING = "nv_inference_pending_request_count"
CPU_UTILIZATION = "nv_cpu_utilization"  # 0..1, server-wide
GPU_UTILIZATION = "nv_gpu_utilization"  # 0..1, per GPU (absent without one)
# summaries (need SUMMARY_ARGS on the server)
REQUEST_SUMMARY = "nv_inference_request_summary_us"
QUEUE_SUMMARY = "nv_inference_queue_summary_us"
DEFAULT_QUANTILES = (0.5, 0.9, 0.95, 0.99, 0.999)

# the server flags the latency rules need (one argv item each)
SUMMARY_ARGS = ("--metrics-config=summary_latencies=true",)

LEVEL = "model_version"
BY = "model, version"
# the label every recorded series and alert carries, so two projects on one Prometheus stay apart
PROJECT_LABEL = "tritonops_project"


def rate_name(metric: str, window: str) -> str:
    """Per-second rate: ``model_version:nv_inference_request_success:rate5m``."""
    return f"{LEVEL}:{metric}:rate{window}"


def requests_rate(window: str) -> str:
    """Every request (successful or failed) per second."""
    return f"{LEVEL}:nv_inference_request:rate{window}"


def error_ratio(window: str) -> str:
    """Failed / all requests over the window."""
    return f"{LEVEL}:nv_inference_request_failure:ratio_rate{window}"


def mean_ms(what: str, window: str) -> str:
    """Mean per successful request, in ms: ``what`` is request, queue or compute."""
    return f"{LEVEL}:nv_inference_{what}_duration_ms:mean{window}"


def batch_size(window: str) -> str:
    """Inferences per execution: the mean batch size the model ran."""
    return f"{LEVEL}:nv_inference_batch_size:mean{window}"


def busy(window: str) -> str:
    """Compute seconds per second: how many instances were busy, on average."""
    return f"{LEVEL}:nv_inference_compute_seconds:rate{window}"


def quantile_ms(summary: str, quantile: float) -> str:
    """A summary's quantile in ms, the worst replica's: ``...:nv_inference_request_ms:p99``."""
    base = summary.removesuffix("_summary_us")
    return f"{LEVEL}:{base}_ms:{quantile_suffix(quantile)}"


def quantile_suffix(quantile: float) -> str:
    """0.5 → ``p50``, 0.99 → ``p99``, 0.999 → ``p999``."""
    digits = f"{quantile:.6f}".split(".")[1].rstrip("0")
    return "p" + (digits if len(digits) > 1 else digits + "0")


def quantile_label(quantile: float) -> str:
    """The ``quantile`` label value Triton writes: 0.5 → ``"0.5"``."""
    return f"{quantile:g}"
