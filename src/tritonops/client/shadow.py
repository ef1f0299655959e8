"""Shadow traffic: a copy of the request goes to the shadow variant in the background.

The primary path only *submits* the copy (a thread-pool job or an asyncio task) and never waits for
it, so a shadow cannot change or delay the response. In-flight shadows are bounded; when the bound
is reached the copy is dropped and counted, rather than queueing without limit behind a slow shadow.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tritonops.client.records import Recorder


def compare(
    primary: dict[str, NDArray[Any]], shadow: dict[str, NDArray[Any]], atol: float = 1e-5
) -> tuple[float | None, bool | None, bool]:
    """(max abs diff over float outputs, argmax agreement over 2-D float outputs, all equal)."""
    max_diff: float | None = None
    argmax: bool | None = None
    equal = primary.keys() == shadow.keys()
    for name in primary.keys() & shadow.keys():
        a, b = primary[name], shadow[name]
        if a.shape != b.shape:
            equal = False
            continue
        if np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating):
            diff = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
            max_diff = diff if max_diff is None else max(max_diff, diff)
            equal = equal and diff <= atol
            if a.ndim == 2 and a.size:
                same = bool(np.array_equal(np.argmax(a, axis=1), np.argmax(b, axis=1)))
                argmax = same if argmax is None else argmax and same
        else:
            equal = equal and bool(np.array_equal(a, b))
    return max_diff, argmax, equal


class ThreadShadows:
    """Runs blocking shadow calls on a small thread pool, at most ``limit`` in flight."""

    def __init__(self, recorder: Recorder, limit: int = 16, workers: int = 4) -> None:
        self._recorder = recorder
        self._limit = limit
        self._in_flight = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="shadow")
        self._futures: set[Future[None]] = set()

    def submit(self, job: Callable[[], None]) -> Future[None] | None:
        with self._lock:
            if self._in_flight >= self._limit:
                self._recorder.dropped()
                return None
            self._in_flight += 1
        future = self._pool.submit(job)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._in_flight -= 1
            self._futures.discard(future)

    @property
    def pending(self) -> list[Future[None]]:
        with self._lock:
            return list(self._futures)

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until every shadow submitted so far has finished (for tests and shutdown)."""
        for future in self.pending:
            future.exception(timeout=timeout_s)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class AsyncShadows:
    """Runs shadow coroutines as asyncio tasks, at most ``limit`` in flight."""

    def __init__(self, recorder: Recorder, limit: int = 64) -> None:
        self._recorder = recorder
        self._limit = limit
        # strong references: the event loop keeps only weak ones to running tasks
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, job: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        if len(self._tasks) >= self._limit:
            job.close()
            self._recorder.dropped()
            return None
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    @property
    def pending(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)

    async def wait(self) -> None:
        """Wait for every shadow task started so far (for tests and shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.wait()
