"""Retries with exponential backoff and full jitter — on UNAVAILABLE only.

Only ``UnavailableError`` (connection refused or reset, gRPC UNAVAILABLE, HTTP 503) is retried: the
request never reached a model, so repeating it is safe. Any other error (a bad input, a model that
raised, a timeout that may have run the model) is returned at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tritonops.client.transport import (
    Answer,
    AsyncTransport,
    InferRequest,
    InferResponse,
    Tensors,
    Transport,
    async_sender,
    sender,
)
from tritonops.errors import UnavailableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` extra attempts; the n-th waits a random time in [0, min(cap, base * 2**n)]."""

    retries: int = 2
    backoff_s: float = 0.05
    max_backoff_s: float = 1.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based), drawn with ``rng``."""
        return rng.uniform(0.0, min(self.max_backoff_s, self.backoff_s * (2**attempt)))


def call_with_retry(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    rng = rng or random.Random()
    for attempt in range(policy.retries):
        try:
            return call()
        except UnavailableError:
            sleep(policy.delay(attempt, rng))
    return call()


async def call_with_retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    rng = rng or random.Random()
    for attempt in range(policy.retries):
        try:
            return await call()
        except UnavailableError:
            await sleep(policy.delay(attempt, rng))
    return await call()


class RetryTransport:
    """Wraps a blocking transport; repeats calls that failed with ``UnavailableError``."""

    def __init__(
        self,
        inner: Transport,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self._send = sender(inner)  # bound once: the fast call runs straight down the stack
        self.policy = policy
        self._sleep = sleep
        self._rng = random.Random()

    def handle(self, request: InferRequest) -> InferResponse:
        # call_with_retry, inlined: no closure per request on the hot path
        inner, policy = self.inner, self.policy
        for attempt in range(policy.retries):
            try:
                return inner.handle(request)
            except UnavailableError:
                self._sleep(policy.delay(attempt, self._rng))
        return inner.handle(request)

    def send(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``handle``'s retries, as the transport protocol's fast call (same waits, attempts)."""
        try:  # the first attempt before the loop: the common case (it works) builds no range
            return self._send(model, inputs, version, headers, timeout_s)
        except UnavailableError:
            if self.policy.retries == 0:
                raise
        send, policy = self._send, self.policy
        for attempt in range(policy.retries - 1):
            self._sleep(policy.delay(attempt, self._rng))
            try:
                return send(model, inputs, version, headers, timeout_s)
            except UnavailableError:
                pass
        self._sleep(policy.delay(policy.retries - 1, self._rng))
        return send(model, inputs, version, headers, timeout_s)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        return call_with_retry(
            lambda: self.inner.model_config(model, version), self.policy, sleep=self._sleep
        )

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        return call_with_retry(
            lambda: self.inner.metadata(model, version), self.policy, sleep=self._sleep
        )

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport:
    """Wraps an asyncio transport; repeats calls that failed with ``UnavailableError``."""

    def __init__(
        self,
        inner: AsyncTransport,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.inner = inner
        self._send = async_sender(inner)
        self.policy = policy
        self._sleep = sleep
        self._rng = random.Random()

    async def send_async(
        self,
        model: str,
        inputs: Tensors,
        version: str = "",
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Answer:
        """``handle_async``'s retries, as the transport protocol's fast call (as ``send``)."""
        try:
            return await self._send(model, inputs, version, headers, timeout_s)
        except UnavailableError:
            if self.policy.retries == 0:
                raise
        send, policy = self._send, self.policy
        for attempt in range(policy.retries - 1):
            await self._sleep(policy.delay(attempt, self._rng))
            try:
                return await send(model, inputs, version, headers, timeout_s)
            except UnavailableError:
                pass
        await self._sleep(policy.delay(policy.retries - 1, self._rng))
        return await send(model, inputs, version, headers, timeout_s)

    async def handle_async(self, request: InferRequest) -> InferResponse:
        inner, policy = self.inner, self.policy
        for attempt in range(policy.retries):
            try:
                return await inner.handle_async(request)
            except UnavailableError:
                await self._sleep(policy.delay(attempt, self._rng))
        return await inner.handle_async(request)

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        return await call_with_retry_async(
            lambda: self.inner.model_config_async(model, version), self.policy, sleep=self._sleep
        )

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        return await call_with_retry_async(
            lambda: self.inner.metadata_async(model, version), self.policy, sleep=self._sleep
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
