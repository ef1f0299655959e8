"""Decoupled (streaming) models over a gRPC stream: time to first response, the gaps between
responses, and responses per second."""

from __future__ import annotations

import queue
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tritonops.errors import ClientError, PerfError
from tritonops.model_config import ModelConfig
from tritonops.triton.requests import infer_inputs
from tritonops.triton.streams import GrpcStream, StreamResponse


@dataclass(frozen=True)
class StreamStats:
    requests: int
    responses: int
    ttft_p50_ms: float
    ttft_p99_ms: float
    inter_response_p50_ms: float
    inter_response_p99_ms: float
    responses_per_s: float
    # responses that carried outputs, per request in send order (the final-flag-only one excluded)
    per_request: tuple[int, ...] = ()


def measure_stream(
    address: str,
    config: ModelConfig,
    inputs: Mapping[str, NDArray[Any]],
    *,
    requests: int = 20,
    timeout_s: float = 60.0,
) -> StreamStats:
    """Send ``requests`` requests one after another on one stream; time every response."""
    events: queue.Queue[tuple[float, StreamResponse | None, str | None]] = queue.Queue()
    types = {t.name: t.data_type.api_name for t in config.input}
    tensors = infer_inputs("grpc", inputs, types)
    ttft: list[float] = []
    gaps: list[float] = []
    responses = 0
    per_request: list[int] = []
    try:
        stream = GrpcStream(
            address, lambda response, error: events.put((time.perf_counter(), response, error))
        )
    except ClientError as exc:
        raise PerfError(f"streaming to {config.name!r} failed: {exc}") from exc
    try:
        began = time.perf_counter()
        for i in range(requests):
            sent = last = time.perf_counter()
            per_request.append(0)
            try:
                stream.send(config.name, tensors, request_id=str(i))
            except ClientError as exc:
                raise PerfError(f"streaming to {config.name!r} failed: {exc}") from exc
            while True:
                try:
                    at, response, error = events.get(timeout=timeout_s)
                except queue.Empty as exc:
                    raise PerfError(f"no response from {config.name!r} in {timeout_s} s") from exc
                if response is None:
                    raise PerfError(f"{config.name!r} answered with an error: {error}")
                if response.output_names:
                    (ttft if last == sent else gaps).append(at - last)
                    last = at
                    responses += 1
                    per_request[-1] += 1
                if response.final:
                    break
        # first request sent to last response received
        elapsed = time.perf_counter() - began
    finally:
        stream.close()

    def pct(xs: list[float], q: float) -> float:
        return float(np.percentile(xs, q) * 1000) if xs else float("nan")

    return StreamStats(
        requests=requests,
        responses=responses,
        ttft_p50_ms=pct(ttft, 50),
        ttft_p99_ms=pct(ttft, 99),
        inter_response_p50_ms=pct(gaps, 50),
        inter_response_p99_ms=pct(gaps, 99),
        responses_per_s=responses / elapsed if elapsed > 0 else 0.0,
        per_request=tuple(per_request),
    )
