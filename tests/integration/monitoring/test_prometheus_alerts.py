"""A real Prometheus scrapes the embedded Triton with the generated rules loaded: healthy traffic
records a zero error ratio, a p50 limit no request can meet makes the latency alert fire on
Triton's real summaries, a model driven into errors makes the fast-burn alert fire, and every
query of the dashboard runs there.

The rules are the production rules with every window scaled by 1/60 (``Timing(scale=1/60)``:
1 h → 1 min, 5 min → 5 s) so the test waits seconds, not hours; the waits are bounded, and
nothing asserts how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tritonops.client import Client
from tritonops.errors import ClientError
from tritonops.monitoring import Timing, build_dashboard, scope_of, write_rules
from tritonops.monitoring.names import error_ratio
from tritonops.server import LocalTriton
from tritonops.spec import load_project

from .models import FLAKY, STEADY, write_project
from .prometheus import LocalPrometheus

SCALE = 1 / 60
WAIT_S = 180.0


def _send(client: Client, fail: bool, count: int, model: str = FLAKY) -> None:
    x = np.full((1, 4), -1.0 if fail else 1.0, dtype=np.float32)
    for _ in range(count):
        try:
            client.infer(model, {"x": x})
        except ClientError:
            if not fail:
                raise


def _until(check: Callable[[], bool], step: Callable[[], None], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what} within {WAIT_S:g} s; prometheus log:\n{log.read_text()[-2000:]}"
            )
        step()
        time.sleep(0.5)


def test_errors_on_triton_fire_the_burn_rate_alert(triton: LocalTriton, tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    written = write_rules(
        project,
        tmp_path / "rules.yml",
        labels={"job": "triton"},
        timing=Timing(SCALE),
        check=True,
    )
    assert {a.name for a in written.rules.alerts} >= {"TritonErrorBudgetFastBurn"}
    target = triton.metrics_url.removeprefix("http://").removesuffix("/metrics")
    ratio = error_ratio(Timing(SCALE).duration(300))
    with (
        Client(triton.grpc_url, protocol="grpc", retries=0) as client,
        LocalPrometheus(tmp_path, target, [written.path]) as prometheus,
    ):
        api = prometheus.api

        def recorded() -> list[float]:
            return [s.value for s in api.query(f'{ratio}{{model="{FLAKY}"}}')]

        def fires(alertname: str, model: str) -> bool:
            return any(
                a["labels"]["alertname"] == alertname
                and a["labels"].get("model") == model
                and a["state"] == "firing"
                for a in api.alerts()
            )

        def healthy_traffic() -> None:
            _send(client, False, 5)
            _send(client, False, 5, STEADY)

        # healthy traffic: flaky's recorded ratio exists and is 0 and nothing of flaky's fires,
        # while steady's p50 (from Triton's real summary) breaks its 1 µs limit and pages
        _until(lambda: recorded() == [0.0], healthy_traffic, "a 0 error ratio", prometheus.log)
        _until(
            lambda: fires("TritonLatencyP50High", STEADY),
            healthy_traffic,
            "steady's p50 latency alert firing",
            prometheus.log,
        )
        assert not [a for a in api.alerts() if a["labels"].get("model") == FLAKY]

        _until(
            lambda: fires("TritonErrorBudgetFastBurn", FLAKY),
            lambda: _send(client, True, 5),
            "the fast-burn alert firing",
            prometheus.log,
        )
        alert = next(
            a for a in api.alerts() if a["labels"]["alertname"] == "TritonErrorBudgetFastBurn"
        )
        assert alert["labels"]["severity"] == "critical"
        assert alert["labels"]["version"] == "1"
        assert alert["annotations"]["runbook_url"].endswith("#tritonerrorbudgetfastburn")
        assert recorded()[0] > 14.4 * 0.05

        # every dashboard query runs on this Prometheus; the flaky model's panels have data
        scope = scope_of(load_project(project), {"job": "triton"})
        board = build_dashboard(scope, Timing(SCALE))
        panels = [p for p in board["panels"] if p["type"] == "timeseries"]
        answered = {t["expr"]: api.query(t["expr"]) for p in panels for t in p["targets"]}
        flaky = [e for e, found in answered.items() if f'model="{FLAKY}"' in e and found]
        for metric in ("request:rate", "failure:ratio_rate", "request_ms:p99", "batch_size"):
            assert any(metric in e for e in flaky), (metric, flaky)
