"""The client SDK and the Router against real tritonservers (HTTP and gRPC, sync and asyncio)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient

from tritonops.client import AsyncClient, AsyncRouter, CircuitSettings, Client, Router, Variant
from tritonops.errors import InputError
from tritonops.server import LocalTriton

from ..catalogue import WEIGHTS, python_model

X = np.arange(8, dtype=np.float32).reshape(2, 4)
EXPECTED = {"add_one": X + 1, "matmul": X @ WEIGHTS}


@pytest.fixture
def server(catalogue_server: LocalTriton) -> LocalTriton:
    """add_one, matmul and shout are the catalogue's."""
    return catalogue_server


def url(server: LocalTriton, protocol: str) -> str:
    return server.grpc_url if protocol == "grpc" else server.http_url


@pytest.mark.parametrize("protocol", ["http", "grpc"])
@pytest.mark.parametrize("model", ["add_one", "matmul"])
def test_sync_client_infers_python_and_onnx_models(
    server: LocalTriton, protocol: str, model: str
) -> None:
    with Client(url(server, protocol), protocol=protocol) as client:
        for _ in range(2):  # the second call reuses the connection and the cached config
            result = client.infer(model, {"x": X})
            np.testing.assert_allclose(result["y"], EXPECTED[model], rtol=1e-5)
        assert result.model == model
        assert result.latency_ms > 0
        assert client.metadata(model)["name"] == model
        assert int(client.model_config(model)["max_batch_size"]) > 0


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_headers_outputs_and_timeouts_reach_the_server(server: LocalTriton, protocol: str) -> None:
    with Client(url(server, protocol), protocol=protocol) as client:
        # mixed-case header names: gRPC metadata wants lower case, HTTP does not care
        result = client.infer(
            "add_one", {"x": X}, outputs=["y"], headers={"X-Request-Id": "r-1"}, timeout_s=5.0
        )
        np.testing.assert_allclose(result["y"], X + 1)
        assert list(result.outputs) == ["y"]


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_strings_travel_both_ways(server: LocalTriton, protocol: str) -> None:
    text = np.array([["ab", "été"], ["", "x y"]], dtype=np.object_)
    with Client(url(server, protocol), protocol=protocol) as client:
        loud = client.infer("shout", {"text": text})["loud"]
    assert loud.shape == (2, 2)
    assert [w.decode() for w in loud.ravel()] == ["AB", "ÉTÉ", "", "X Y"]


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_async_client_infers_concurrently(server: LocalTriton, protocol: str) -> None:
    async def scenario() -> None:
        async with AsyncClient(url(server, protocol), protocol=protocol) as client:
            results = await asyncio.gather(
                *(client.infer(m, {"x": X}) for m in ["add_one", "matmul"] * 4)
            )
        for result in results:
            np.testing.assert_allclose(result["y"], EXPECTED[result.model], rtol=1e-5)

    asyncio.run(scenario())


def failures(server: LocalTriton, model: str) -> int:
    stats = httpclient.InferenceServerClient(server.http_url).get_inference_statistics(model)
    return int(stats["model_stats"][0]["inference_stats"]["fail"]["count"])


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_bad_inputs_fail_before_reaching_the_server(server: LocalTriton, protocol: str) -> None:
    before = failures(server, "add_one")
    with Client(url(server, protocol), protocol=protocol) as client:
        with pytest.raises(
            InputError,
            match=r"model 'add_one': input 'x' must have shape \[-1, 4\] \(got \[2, 5\]\)",
        ):
            client.infer("add_one", {"x": np.zeros((2, 5), np.float32)})
        with pytest.raises(InputError, match="batch size 9 but max_batch_size is 8"):
            client.infer("add_one", {"x": np.zeros((9, 4), np.float32)})
    assert failures(server, "add_one") == before


def test_async_router_mirrors_to_a_shadow_over_http(server: LocalTriton) -> None:
    async def scenario() -> None:
        endpoints = [server.http_url]
        variants = [
            Variant("control", "add_one", weight=50, endpoints=endpoints),
            Variant("candidate", "add_one", weight=50, endpoints=endpoints),
        ]
        shadow = Variant("shadow", "add_one", weight=0, endpoints=endpoints)
        async with AsyncRouter(variants, protocol="http", shadow=shadow) as router:
            results = [await router.infer({"x": X}, key=f"user-{i}") for i in range(20)]
            await router.shadows.wait()
            assert {r.status for r in results} == {"ok"}
            comparisons = router.shadow_comparisons
            assert len(comparisons) == 20
            assert all(c.equal and c.max_abs_diff == 0.0 for c in comparisons)

    asyncio.run(scenario())


def test_fallback_keeps_requests_successful_when_a_server_is_killed(
    tmp_path: Path, server: LocalTriton
) -> None:
    python_model(tmp_path, "add_one")
    with LocalTriton(tmp_path, load=["add_one"]) as doomed:
        variants = [
            Variant("control", "add_one", weight=50, endpoints=[server.grpc_url]),
            Variant("candidate", "add_one", weight=50, endpoints=[doomed.grpc_url]),
        ]
        settings = CircuitSettings(failures=3, cooldown_s=0.5)
        with Router(variants, protocol="grpc", circuit=settings, timeout_s=5.0) as router:
            pid = doomed.pid
            assert pid is not None
            killer = threading.Thread(target=os.killpg, args=(pid, signal.SIGKILL))
            results = []
            for i in range(2000):
                if i == 600:
                    killer.start()  # lands while the next requests are in flight
                results.append(router.infer({"x": X[:1]}, key=f"user-{i}"))
            killer.join()
    ok = sum(r.status == "ok" for r in results)
    assert ok / len(results) >= 0.999
    served_after = {r.variant for r in results[700:]}
    assert served_after == {"control"}
    assert any(r.fallback_from == "candidate" for r in results[600:])
    assert {r.variant for r in results[:600]} == {"control", "candidate"}
    assert router.core.circuits["candidate"].opened >= 1
