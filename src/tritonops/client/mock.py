"""``MockTransport``: answers in-process, as a function of the request, for tests.

It is both a blocking and an asyncio transport, counts its calls, and injects latency and failures
(raise on the next N calls, or while ``down`` is set), so routing, retries and circuits can be
tested without a server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from tritonops.client.transport import InferRequest, InferResponse, Tensors, as_array
from tritonops.errors import ClientError, UnavailableError

Handler = Callable[[InferRequest], "InferResponse | Tensors"]


def echo(request: InferRequest) -> Tensors:
    """The default handler: every input comes back as an output of the same name."""
    return dict(request.inputs)


class MockTransport:
    """An in-process transport: ``handler(request)`` gives the outputs (or raises a ClientError).

    ``configs`` maps a model name to its config in Triton's JSON form (what ``model_config``
    returns); ``latency_s`` delays each answer (``asyncio.sleep`` on the async path);
    ``fail(n, error)`` makes the next ``n`` calls raise ``error``; ``down = True`` makes every call
    raise ``UnavailableError`` until cleared.
    """

    def __init__(
        self,
        handler: Handler = echo,
        *,
        configs: Mapping[str, Mapping[str, Any]] | None = None,
        latency_s: float = 0.0,
        name: str = "mock",
    ) -> None:
        self.handler = handler
        self.configs = {k: dict(v) for k, v in (configs or {}).items()}
        self.latency_s = latency_s
        self.name = name
        self.down = False
        self.calls = 0
        self.requests: list[InferRequest] = []
        self.closed = False
        self._failures: list[ClientError] = []
        self._lock = threading.Lock()

    def fail(self, times: int = 1, error: ClientError | None = None) -> None:
        """Make the next ``times`` calls raise ``error`` (``UnavailableError`` by default)."""
        err = error or UnavailableError(f"{self.name}: injected failure", "StatusCode.UNAVAILABLE")
        with self._lock:
            self._failures.extend([err] * times)

    def _answer(self, request: InferRequest) -> InferResponse:
        with self._lock:
            self.calls += 1
            self.requests.append(request)
            injected = self._failures.pop(0) if self._failures else None
        if self.down:
            raise UnavailableError(f"{self.name} is down", "StatusCode.UNAVAILABLE")
        if injected is not None:
            raise injected
        answer = self.handler(request)
        if isinstance(answer, InferResponse):
            return answer
        outputs = {name: as_array(value) for name, value in answer.items()}
        return InferResponse(outputs, request.model, request.version, self.name)

    def _config(self, model: str) -> dict[str, Any]:
        if model not in self.configs:
            raise ClientError(f"{self.name}: unknown model {model!r}", "404")
        return self.configs[model]

    def _metadata(self, model: str) -> dict[str, Any]:
        config = self._config(model)
        batch = [-1] if int(config.get("max_batch_size", 0)) > 0 else []
        tensors = {
            kind: [
                {
                    "name": t["name"],
                    "datatype": str(t["data_type"])
                    .removeprefix("TYPE_")
                    .replace("STRING", "BYTES"),
                    "shape": batch + [int(d) for d in t.get("dims", [])],
                }
                for t in config.get(source, [])
            ]
            for kind, source in (("inputs", "input"), ("outputs", "output"))
        }
        return {"name": model, "versions": ["1"], "platform": config.get("backend", ""), **tensors}

    # -- blocking --------------------------------------------------------------------------------
    def handle(self, request: InferRequest) -> InferResponse:
        if self.latency_s:
            time.sleep(self.latency_s)
        return self._answer(request)

    def model_config(self, model: str, version: str = "") -> dict[str, Any]:
        return self._config(model)

    def metadata(self, model: str, version: str = "") -> dict[str, Any]:
        return self._metadata(model)

    def close(self) -> None:
        self.closed = True

    # -- asyncio ---------------------------------------------------------------------------------
    async def handle_async(self, request: InferRequest) -> InferResponse:
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        return self._answer(request)

    async def model_config_async(self, model: str, version: str = "") -> dict[str, Any]:
        return self._config(model)

    async def metadata_async(self, model: str, version: str = "") -> dict[str, Any]:
        return self._metadata(model)

    async def aclose(self) -> None:
        self.closed = True
