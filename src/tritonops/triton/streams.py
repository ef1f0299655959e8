"""One gRPC stream to a server: requests out, each response (or error) to a callback.

Triton serves a decoupled model's responses over gRPC streaming only. ``GrpcStream`` is the one
place a stream is opened, fed and closed; the LLM load generator, the decoupled-model figures of
``perf`` and the deploy smoke of streaming LLMs build on it. Every request asks for Triton's
empty final response, so ``StreamResponse.final`` marks the end of each request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from numpy.typing import NDArray

from tritonops.errors import ClientError
from tritonops.headers import grpc_metadata
from tritonops.redact import scrub
from tritonops.triton import connect
from tritonops.triton.failures import TritonclientError


class StreamResponse:
    """One response of a stream: its request's id, whether it is that request's last, and its
    outputs (read on demand: a token counter looks at one output of many responses)."""

    __slots__ = ("_result", "final", "output_names", "request_id")

    def __init__(self, result: Any) -> None:
        self._result = result
        response = result.get_response()
        self.request_id: str = response.id
        self.output_names: frozenset[str] = frozenset(o.name for o in response.outputs)
        flag = response.parameters.get("triton_final_response")
        self.final: bool = flag is not None and bool(flag.bool_param)

    def array(self, name: str) -> NDArray[Any] | None:
        """The output ``name`` as numpy, None when the response does not carry it."""
        if name not in self.output_names:
            return None
        value: NDArray[Any] | None = self._result.as_numpy(name)
        return value


# called on the stream's own thread with a response, or with None and the error's text
OnResponse = Callable[[StreamResponse | None, str | None], None]


class GrpcStream:
    """A gRPC stream to ``address``; ``headers`` are sent once, when it opens, and then cover
    every request on it. ``on_response`` runs on tritonclient's response thread."""

    def __init__(
        self, address: str, on_response: OnResponse, headers: Mapping[str, str] | None = None
    ) -> None:
        self.address = address
        self._secrets = list((headers or {}).values())
        self._client = connect.grpc_client(address)

        # tritonclient calls back with KEYWORD arguments (``callback(result=..., error=...)``):
        # a callback whose parameters are named otherwise raises TypeError on its thread, which
        # ends that thread silently (the server answers, nothing arrives)
        def callback(result: Any = None, error: Any = None) -> None:
            if error is not None or result is None:
                on_response(None, self._text(error))
            else:
                on_response(StreamResponse(result), None)

        try:
            metadata = grpc_metadata(headers) if headers else None
            self._client.start_stream(callback=callback, headers=metadata)
        except TritonclientError as exc:
            self._client.close()
            raise ClientError(f"cannot open a gRPC stream to {address}: {self._text(exc)}") from exc

    def _text(self, error: Any) -> str:
        message = error.message() if hasattr(error, "message") else None
        return scrub(str(message or error), self._secrets)

    def send(
        self,
        model: str,
        inputs: Sequence[Any],
        *,
        version: str = "",
        request_id: str = "",
        outputs: Sequence[Any] | None = None,
    ) -> None:
        """Send one request (``inputs`` from ``requests.infer_inputs("grpc", ...)``)."""
        try:
            self._client.async_stream_infer(
                model,
                list(inputs),
                model_version=version,
                request_id=request_id,
                outputs=list(outputs) if outputs else None,
                enable_empty_final_response=True,
            )
        except TritonclientError as exc:
            raise ClientError(f"sending to {model!r} failed: {self._text(exc)}") from exc

    def close(self) -> None:
        """End the stream (waiting for its thread) and the connection; harmless twice."""
        client, self._client = self._client, None
        if client is not None:
            client.stop_stream()
            client.close()
