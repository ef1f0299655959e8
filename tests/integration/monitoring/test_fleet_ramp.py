"""The canary ramp judging Triton's counters through a real Prometheus (``--prometheus-url``).

Failures that only other clients cause (the fleet's traffic, not the ramp's own) are invisible to
the ramp's client-side samples: a ramp that rolls back on them proves the guard read Prometheus.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from tritonops.abtest import run_ramp
from tritonops.cli.main import cli
from tritonops.client import Client
from tritonops.errors import ClientError
from tritonops.server import LocalTriton

from .models import FLAKY, STEADY, write_project
from .prometheus import LocalPrometheus


def _fail_until(stop: threading.Event, url: str) -> None:
    """Other clients' traffic to the candidate: every request fails."""
    x = np.full((1, 4), -1.0, dtype=np.float32)
    with Client(url, protocol="grpc", retries=0) as client:
        while not stop.is_set():
            with contextlib.suppress(ClientError):
                client.infer(FLAKY, {"x": x})


def test_ramp_decides_on_the_fleet_counters_from_prometheus(
    triton: LocalTriton, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "project")
    target = triton.metrics_url.removeprefix("http://").removesuffix("/metrics")
    with LocalPrometheus(tmp_path, target, []) as prometheus:
        url = prometheus.api.url
        healthy = run_ramp(
            "canary", url=triton.grpc_url, project=project, steps=[50.0, 100.0], requests=60,
            concurrency=4, step_min_samples=10, prometheus_url=url,
        )  # fmt: skip
        assert healthy.status == "completed", healthy.history
        steps = [h for h in healthy.history if h["event"] == "step"]
        assert all(h["server_source"] == "prometheus" for h in steps)
        # the last step sent every request to the candidate, and Prometheus saw them
        assert steps[-1]["server"][FLAKY]["requests"] > 0
        assert steps[-1]["server"][FLAKY]["failure"] == 0
        assert STEADY in steps[0]["server"]

        stop = threading.Event()
        noise = threading.Thread(target=_fail_until, args=(stop, triton.grpc_url), daemon=True)
        noise.start()
        try:
            result = CliRunner().invoke(
                cli,
                ["ab-test", "canary", "-f", str(project), "--url", triton.grpc_url,
                 "--ramp", "50,100", "--requests", "60", "--prometheus-url", url, "--quiet"],
            )  # fmt: skip
        finally:
            stop.set()
            noise.join(timeout=30)
    assert result.exit_code == 4, result.output
    assert f"Triton: {FLAKY} failure rate" in result.output
    # the ramp's own requests all succeeded: the rollback came from the fleet's counters
    assert "SLO breach: error rate" not in result.output
