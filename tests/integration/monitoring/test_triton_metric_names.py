"""The metric names, labels and quantiles the rules read, as the embedded tritonserver 2.51
exports them (the rules' spec is Triton's metrics page, not our idea of it)."""

from __future__ import annotations

import urllib.request

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from tritonops.client import Client
from tritonops.monitoring import names
from tritonops.server import LocalTriton

from .models import FLAKY


def test_the_rules_inputs_exist_with_their_labels(triton: LocalTriton) -> None:
    with Client(triton.grpc_url, protocol="grpc", retries=0) as client:
        client.infer(FLAKY, {"x": np.ones((1, 4), dtype=np.float32)})
    with urllib.request.urlopen(triton.metrics_url, timeout=10) as page:
        text = page.read().decode()
    samples = [s for family in text_string_to_metric_families(text) for s in family.samples]
    # the parser names counter samples "<name>_total"; Triton writes them bare
    seen: dict[str, list[dict[str, str]]] = {}
    for sample in samples:
        if sample.labels.get("model") == FLAKY:
            seen.setdefault(sample.name.removesuffix("_total"), []).append(sample.labels)
    counters = [
        names.SUCCESS, names.FAILURE, names.INFERENCES, names.EXECUTIONS, names.REQUEST_US,
        names.QUEUE_US, *names.COMPUTE_US, names.PENDING,
    ]  # fmt: skip
    for metric in counters:
        assert metric in seen, metric
        assert all(labels["version"] == "1" for labels in seen[metric]), metric
    # failures come per reason, all four present from the model's load on
    reasons = {labels["reason"] for labels in seen[names.FAILURE]}
    assert reasons == {"REJECTED", "CANCELED", "BACKEND", "OTHER"}
    # summaries exist because LocalTriton runs with summary_latencies=true, with the quantiles
    # the latency rules select
    for summary in (names.REQUEST_SUMMARY, names.QUEUE_SUMMARY):
        quantiles = {labels["quantile"] for labels in seen[summary] if "quantile" in labels}
        assert quantiles == {names.quantile_label(q) for q in names.DEFAULT_QUANTILES}
    assert f"{names.CPU_UTILIZATION} " in text
