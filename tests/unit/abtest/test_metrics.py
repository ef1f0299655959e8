"""Triton's metrics text: parsed with prometheus_client, summed over versions, differenced."""

from __future__ import annotations

import pytest

from tritonops.abtest.server_guard import ServerGuard, delta, parse_metrics, server_breaches

TEXT = """# HELP nv_inference_request_success Number of successful inference requests
# TYPE nv_inference_request_success counter
nv_inference_request_success{model="fast",version="1"} 90
nv_inference_request_success{model="fast",version="2"} 10
nv_inference_request_success{model="slow",version="1"} 40
# TYPE nv_inference_request_failure counter
nv_inference_request_failure{model="slow",reason="OTHER",version="1"} 10
# TYPE nv_inference_request_duration_us counter
nv_inference_request_duration_us{model="fast",version="1"} 100000
nv_inference_request_duration_us{model="slow",version="1"} 1000000
# TYPE nv_cpu_utilization gauge
nv_cpu_utilization 0.5
"""


def test_parse_sums_versions() -> None:
    found = parse_metrics(TEXT)
    assert set(found) == {"fast", "slow"}
    assert found["fast"].success == 100
    assert found["slow"].failure_rate == pytest.approx(0.2)
    assert found["slow"].mean_request_ms == pytest.approx(25.0)


def test_delta_and_breaches() -> None:
    before_text = TEXT.replace("} 40", "} 0").replace("} 1000000", "} 0")
    before = parse_metrics(before_text.replace('"OTHER",version="1"} 10', '"OTHER",version="1"} 0'))
    window = delta(before, parse_metrics(TEXT))
    assert window["slow"].success == 40
    assert window["fast"].requests == 0
    guard = ServerGuard(max_failure_rate=0.05, max_mean_request_ms=20)
    assert server_breaches("slow", window, guard) == [
        "Triton: slow failure rate 20.00% > SLO 5.00% (10 of 50)",
        "Triton: slow mean request time 25.0 ms > SLO 20 ms",
    ]
    assert server_breaches("fast", window, guard) == []
