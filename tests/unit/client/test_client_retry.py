"""Retries with backoff happen on UNAVAILABLE only; the client caches configs and metadata."""

from __future__ import annotations

import asyncio
import random

import numpy as np
import pytest
from client_fixtures import CONFIG, x

from tritonops.client import AsyncClient, Client, InferRequest, MockTransport
from tritonops.client.retry import AsyncRetryTransport, RetryPolicy, RetryTransport
from tritonops.errors import ClientError, UnavailableError


def test_unavailable_is_retried_until_it_succeeds() -> None:
    mock = MockTransport(configs={"m": CONFIG})
    slept: list[float] = []
    transport = RetryTransport(mock, RetryPolicy(retries=3), sleep=slept.append)
    c = Client(transport=transport, retries=0)
    mock.fail(2)
    result = c.infer("m", x())
    assert mock.calls == 3
    assert len(slept) == 2
    np.testing.assert_array_equal(result["x"], x()["x"])


def test_retries_give_up_with_the_unavailable_error() -> None:
    mock = MockTransport(configs={"m": CONFIG})
    transport = RetryTransport(mock, RetryPolicy(retries=2), sleep=lambda s: None)
    mock.down = True
    with pytest.raises(UnavailableError, match="is down"):
        Client(transport=transport, retries=0, check=False).infer("m", x())
    assert mock.calls == 3  # one try and two retries


@pytest.mark.parametrize("status", ["400", "500", "StatusCode.INTERNAL", "TIMEOUT"])
def test_other_errors_are_never_retried(status: str) -> None:
    mock = MockTransport(configs={"m": CONFIG})
    transport = RetryTransport(mock, RetryPolicy(retries=5), sleep=lambda s: None)
    mock.fail(1, ClientError("nope", status))
    with pytest.raises(ClientError, match="nope") as info:
        Client(transport=transport, retries=0).infer("m", x())
    assert not isinstance(info.value, UnavailableError)
    assert mock.calls == 1


def test_backoff_grows_exponentially_with_jitter_under_a_cap() -> None:
    policy = RetryPolicy(retries=6, backoff_s=0.1, max_backoff_s=0.5)
    rng = random.Random(3)
    for attempt in range(6):
        cap = min(0.5, 0.1 * 2**attempt)
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8


def test_async_client_retries_unavailable_only() -> None:
    async def scenario() -> None:
        mock = MockTransport(configs={"m": CONFIG})
        async with AsyncClient(transport=mock, retries=2) as c:
            mock.fail(2)
            await c.infer("m", x())
            assert mock.calls == 3
            mock.fail(1, ClientError("bad", "500"))
            with pytest.raises(ClientError, match="bad"):
                await c.infer("m", x())
            assert mock.calls == 4
        assert mock.closed

    asyncio.run(scenario())


def test_config_and_metadata_are_read_once() -> None:
    mock = MockTransport(configs={"m": CONFIG})
    reads = 0
    original = mock.model_config

    def counting(model: str, version: str = "") -> dict[str, object]:
        nonlocal reads
        reads += 1
        return original(model, version)

    mock.model_config = counting  # type: ignore[method-assign]
    c = Client(transport=mock, retries=0)
    for _ in range(3):
        c.infer("m", x())
    assert reads == 1
    assert c.metadata("m")["inputs"][0] == {"name": "x", "datatype": "FP32", "shape": [-1, 4]}


@pytest.mark.parametrize(("failures", "retries"), [(0, 0), (1, 0), (0, 2), (1, 2), (2, 2), (3, 2)])
def test_the_fast_call_retries_exactly_as_handle(failures: int, retries: int) -> None:
    """``send`` / ``send_async`` make the same attempts and the same waits as ``handle``."""

    def run(call: str) -> tuple[bool, int, list[float]]:
        mock = MockTransport(configs={"m": CONFIG})
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        policy = RetryPolicy(retries=retries, backoff_s=1.0, max_backoff_s=100.0)
        sync = RetryTransport(mock, policy, sleep=slept.append)
        asynchronous = AsyncRetryTransport(mock, policy, sleep=sleep)
        for transport in (sync, asynchronous):  # the same seeded jitter for every path
            transport._rng = random.Random(7)
        mock.fail(failures)
        try:
            if call == "handle":
                sync.handle(InferRequest("m", x()))
            elif call == "send":
                sync.send("m", x())
            else:
                asyncio.run(asynchronous.send_async("m", x()))
        except UnavailableError:
            return False, mock.calls, slept
        return True, mock.calls, slept

    expected = run("handle")
    assert expected[0] is (failures <= retries)
    assert expected[1] == min(failures, retries) + 1
    assert len(expected[2]) == min(failures, retries)
    assert run("send") == expected
    assert run("send_async") == expected
