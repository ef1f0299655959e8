"""The shared reader of Triton's metrics page: URLs, parsing, gauges, errors, deltas."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from tritonops.errors import MetricsError, ServerError
from tritonops.server import metrics
from tritonops.server.metrics import ModelCounters, delta, metrics_url, parse

# shaped like a real Triton page: HELP/TYPE lines, `version` and `reason` labels, per-model gauges
CPU_PAGE = """# HELP nv_inference_request_success Number of successful inference requests
# TYPE nv_inference_request_success counter
nv_inference_request_success{model="resnet",version="1"} 90
nv_inference_request_success{model="resnet",version="2"} 10
nv_inference_request_success{model="bert",version="1"} 40
# HELP nv_inference_request_failure Number of failed inference requests, all batch sizes
# TYPE nv_inference_request_failure counter
nv_inference_request_failure{model="resnet",reason="OTHER",version="1"} 0
nv_inference_request_failure{model="bert",reason="BACKEND",version="1"} 6
nv_inference_request_failure{model="bert",reason="REJECTED",version="1"} 4
# HELP nv_inference_count Number of inferences performed (does not include cached requests)
# TYPE nv_inference_count counter
nv_inference_count{model="resnet",version="1"} 360
nv_inference_count{model="resnet",version="2"} 40
nv_inference_count{model="bert",version="1"} 40
# HELP nv_inference_exec_count Number of model executions performed
# TYPE nv_inference_exec_count counter
nv_inference_exec_count{model="resnet",version="1"} 45
nv_inference_exec_count{model="resnet",version="2"} 5
nv_inference_exec_count{model="bert",version="1"} 40
# HELP nv_inference_request_duration_us Cumulative inference request duration in microseconds
# TYPE nv_inference_request_duration_us counter
nv_inference_request_duration_us{model="resnet",version="1"} 900000
nv_inference_request_duration_us{model="resnet",version="2"} 100000
nv_inference_request_duration_us{model="bert",version="1"} 1000000
# HELP nv_inference_queue_duration_us Cumulative inference queuing duration in microseconds
# TYPE nv_inference_queue_duration_us counter
nv_inference_queue_duration_us{model="resnet",version="1"} 90000
nv_inference_queue_duration_us{model="resnet",version="2"} 10000
nv_inference_queue_duration_us{model="bert",version="1"} 0
# HELP nv_inference_compute_input_duration_us Cumulative compute input duration in microseconds
# TYPE nv_inference_compute_input_duration_us counter
nv_inference_compute_input_duration_us{model="resnet",version="1"} 9000
nv_inference_compute_input_duration_us{model="resnet",version="2"} 1000
nv_inference_compute_input_duration_us{model="bert",version="1"} 0
# HELP nv_inference_compute_infer_duration_us Cumulative compute inference duration in microseconds
# TYPE nv_inference_compute_infer_duration_us counter
nv_inference_compute_infer_duration_us{model="resnet",version="1"} 450000
nv_inference_compute_infer_duration_us{model="resnet",version="2"} 50000
nv_inference_compute_infer_duration_us{model="bert",version="1"} 800000
# HELP nv_inference_compute_output_duration_us Cumulative compute output duration in microseconds
# TYPE nv_inference_compute_output_duration_us counter
nv_inference_compute_output_duration_us{model="resnet",version="1"} 9000
nv_inference_compute_output_duration_us{model="resnet",version="2"} 1000
nv_inference_compute_output_duration_us{model="bert",version="1"} 0
# HELP nv_inference_pending_request_count Instantaneous number of pending requests per-model.
# TYPE nv_inference_pending_request_count gauge
nv_inference_pending_request_count{model="resnet",version="1"} 3
# HELP nv_cpu_utilization CPU utilization rate [0.0 - 1.0]
# TYPE nv_cpu_utilization gauge
nv_cpu_utilization 0.25
# HELP nv_cpu_memory_used_bytes CPU used memory (RAM), in bytes
# TYPE nv_cpu_memory_used_bytes gauge
nv_cpu_memory_used_bytes 869543936
"""

GPU_GAUGES = """# HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)
# TYPE nv_gpu_utilization gauge
nv_gpu_utilization{gpu_uuid="GPU-4f2a"} 0.75
# HELP nv_gpu_memory_used_bytes GPU used memory, in bytes
# TYPE nv_gpu_memory_used_bytes gauge
nv_gpu_memory_used_bytes{gpu_uuid="GPU-4f2a"} 2147483648
# HELP nv_energy_consumption GPU energy consumption in joules since the Triton Server started
# TYPE nv_energy_consumption counter
nv_energy_consumption{gpu_uuid="GPU-4f2a"} 1234.5
"""


def test_counters_sum_over_versions_per_model() -> None:
    page = parse(CPU_PAGE)
    assert set(page.models) == {"resnet", "bert"}
    resnet, bert = page.models["resnet"], page.models["bert"]
    assert (resnet.success, resnet.inferences, resnet.executions) == (100, 400, 50)
    assert resnet.mean_request_ms == pytest.approx(10.0)
    assert resnet.mean_queue_ms == pytest.approx(1.0)
    assert resnet.mean_compute_ms == pytest.approx(5.2)
    # failures sum over every `reason` label
    assert bert.failure == 10
    assert bert.failure_rate == pytest.approx(0.2)
    assert page.exported == frozenset(ModelCounters.__dataclass_fields__)


def test_counters_are_read_under_the_parsers_total_names() -> None:
    # prometheus_client reports counter samples as `<name>_total`: a page that already wrote the
    # suffix, or a counter without `# TYPE`, reads the same
    typed = parse(
        '# TYPE nv_inference_request_success counter\nnv_inference_request_success{model="m"} 5\n'
    )
    suffixed = parse('nv_inference_request_success_total{model="m"} 5\n')
    untyped = parse('nv_inference_request_success{model="m"} 5\n')
    assert typed.models == suffixed.models == untyped.models == {"m": ModelCounters(success=5)}


def test_gauges_without_gpus() -> None:
    page = parse(CPU_PAGE)
    # per-model gauges are not server-wide ones
    assert page.gauges == {"nv_cpu_utilization": 0.25, "nv_cpu_memory_used_bytes": 869543936}


def test_gauges_with_gpus() -> None:
    page = parse(CPU_PAGE + GPU_GAUGES)
    assert page.gauges["nv_gpu_utilization"] == 0.75
    assert page.gauges["nv_gpu_memory_used_bytes"] == 2147483648
    # a counter without a model label is neither a model's counter nor a gauge
    assert "nv_energy_consumption" not in page.gauges
    assert "nv_energy_consumption_total" not in page.gauges


def test_latency_counters_switched_off_are_not_exported() -> None:
    lines = [line for line in CPU_PAGE.splitlines() if "duration_us" not in line]
    page = parse("\n".join(lines) + "\n")
    assert "queue_us" not in page.exported
    assert page.models["resnet"].queue_us == 0


def test_text_that_does_not_parse_names_the_problem() -> None:
    with pytest.raises(MetricsError, match=r"does not parse as Prometheus text: .*--allow-metrics"):
        parse("<html><body>404 Not Found</body></html>")
    with pytest.raises(MetricsError, match="at http://h:8002/metrics does not parse"):
        parse("not { prometheus", url="http://h:8002/metrics")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8002", "http://localhost:8002/metrics"),
        ("localhost:8002/", "http://localhost:8002/metrics"),
        ("http://h:8002", "http://h:8002/metrics"),
        ("https://h:8002/metrics", "https://h:8002/metrics"),
        ("http://proxy/triton/metrics", "http://proxy/triton/metrics"),
    ],
)
def test_metrics_url(given: str, expected: str) -> None:
    assert metrics_url(given) == expected


class _Response:
    status = 200  # urlopen returns only 2xx answers (it raises HTTPError for the rest)

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.body


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs the code under test opened; the page served is ``CPU_PAGE``."""
    urls: list[str] = []

    def urlopen(url: str, timeout: float) -> _Response:
        urls.append(url)
        return _Response(CPU_PAGE.encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return urls


def test_scrape_fetches_the_normalised_url(opened: list[str]) -> None:
    page = metrics.scrape("triton:8002")
    assert opened == ["http://triton:8002/metrics"]
    assert page.models["resnet"].success == 100


def test_unreachable_page_names_the_url_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(url: str, timeout: float) -> Any:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(
        MetricsError, match=r"at http://h:9/metrics: .*--allow-metrics=true"
    ) as info:
        metrics.fetch("h:9")
    # one error for callers that already handle a server they cannot reach
    assert isinstance(info.value, ServerError)


def test_page_that_is_not_metrics_names_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        urllib.request, "urlopen", lambda url, timeout: _Response(b"<html>hi</html>")
    )
    with pytest.raises(MetricsError, match="at http://h:8000/metrics does not parse"):
        metrics.scrape("h:8000")


def test_delta_counts_a_model_loaded_between_scrapes_from_zero() -> None:
    # `bert` was not loaded at the first scrape: the page had no line for it at all
    first = [line for line in CPU_PAGE.splitlines() if 'model="bert"' not in line]
    before = parse("\n".join(first).replace('"resnet",version="2"} 10', '"resnet",version="2"} 0'))
    after = parse(CPU_PAGE)
    assert "bert" not in before.models
    window = delta(before.models, after.models)
    assert window["resnet"].success == 10
    assert window["resnet"].inferences == 0
    assert window["bert"] == after.models["bert"]
    assert window["bert"].success == 40
