"""The repository API and inference against one remote Triton, over tritonclient HTTP or gRPC.

Here tritonclient's errors become ``DeployError`` (``RemoteCallError``, classified by status code
with ``failures.classify``). Every call carries the
target's headers and a timeout; header values never appear in a message (they are often tokens), so
each error text is scrubbed before it leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from numpy.typing import NDArray

from tritonops.errors import DeployError
from tritonops.headers import grpc_metadata, header_problem
from tritonops.redact import redact_url, scrub, url_secrets
from tritonops.triton import connect
from tritonops.triton.failures import FOREIGN, CallFailure, classify, read
from tritonops.triton.oneshot import OneAnswer, read_answer
from tritonops.triton.requests import infer_inputs, requested_outputs

__all__ = [
    "CallFailure",
    "RemoteCallError",
    "RemoteClient",
    "WireProtocol",
    "classify",
    "config_json",
    "split_url",
]

WireProtocol = Literal["http", "grpc"]


class RemoteCallError(DeployError):
    """A failed call to the server, with the structured reason (``failure``, ``status``)."""

    def __init__(self, message: str, failure: CallFailure, status: str | None) -> None:
        super().__init__(message)
        self.failure = failure
        self.status = status


def split_url(url: str, ssl: bool) -> tuple[str, bool]:
    """tritonclient wants ``host:port``; a scheme in the URL is accepted and sets TLS."""
    if url.startswith("https://"):
        return url.removeprefix("https://").rstrip("/"), True
    for scheme in ("http://", "grpc://"):
        if url.startswith(scheme):
            return url.removeprefix(scheme).rstrip("/"), ssl
    return url.rstrip("/"), ssl


class RemoteClient:
    """Repository and inference calls against one Triton; use as a context manager."""

    def __init__(
        self,
        url: str,
        *,
        protocol: WireProtocol = "http",
        ssl: bool = False,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        load_timeout_s: float = 300.0,
    ) -> None:
        if protocol not in ("http", "grpc"):
            raise DeployError(f"protocol {protocol!r} is not supported — use 'http' or 'grpc'")
        for name, value in (headers or {}).items():
            problem = header_problem(name, value)
            if problem is not None:
                raise DeployError(problem)
        self.address, self.ssl = split_url(url, ssl)
        self.protocol: WireProtocol = protocol
        self.url = redact_url(url)  # the form every message shows
        self._secrets = [*(headers or {}).values(), *url_secrets(url)]
        self._headers = dict(headers or {})
        if protocol == "grpc":
            self._headers = grpc_metadata(self._headers)
        self.timeout_s = timeout_s
        self.load_timeout_s = load_timeout_s
        self._client: Any = None

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- calls ---------------------------------------------------------------------------------
    def check_live(self) -> None:
        """Raise a DeployError naming the URL unless the server answers as live."""
        with self._translate("reach the server"):
            live = bool(self._conn().is_server_live(**self._call_args()))
        if not live:
            raise DeployError(f"Triton at {self.url} is not live — check that it is running")

    def ready_versions(self, model: str) -> list[int]:
        """The versions of ``model`` that serve now; [] when the server does not know the model."""
        try:
            with self._translate(f"read the metadata of {model!r}"):
                metadata = self._conn().get_model_metadata(model, **self._call_args())
        except RemoteCallError as exc:
            if exc.failure is CallFailure.NOT_FOUND:
                return []
            raise
        versions = metadata["versions"] if isinstance(metadata, dict) else metadata.versions
        return sorted(int(v) for v in versions)

    def is_ready(self, model: str, version: int) -> bool:
        with self._translate(f"read the readiness of {model!r} version {version}"):
            return bool(self._conn().is_model_ready(model, str(version), **self._call_args()))

    def served_config(self, model: str) -> dict[str, Any] | None:
        """The config the server serves (proto-JSON form), or None for an unknown model."""
        try:
            with self._translate(f"read the served config of {model!r}"):
                if self.protocol == "http":
                    data = self._conn().get_model_config(model, **self._call_args())
                else:
                    data = self._conn().get_model_config(model, as_json=True, **self._call_args())
                    data = data.get("config", {})
        except RemoteCallError as exc:
            if exc.failure is CallFailure.NOT_FOUND:
                return None
            raise
        return dict(data)

    def repository_index(self) -> list[dict[str, str]]:
        """The server's repository index: one entry per model version with its state.

        Measured on tritonserver 2.51: it lists the models of the server's own repository
        folders (loaded or not); a model that exists only through file overrides is not listed.
        """
        with self._translate("read the repository index"):
            if self.protocol == "http":
                data = self._conn().get_model_repository_index(**self._call_args())
            else:
                data = self._conn().get_model_repository_index(as_json=True, **self._call_args())
                data = data.get("models", [])
        return [{str(k): str(v) for k, v in entry.items()} for entry in data]

    def load(self, model: str, config_json: str, files: Mapping[str, bytes]) -> None:
        """Load (or reload) ``model`` from a config override and file overrides.

        An empty ``config_json`` with no files is a plain load: the server reads the model from
        its own repository.
        """
        with self._translate(f"load {model!r}"):
            self._conn(self.load_timeout_s).load_model(
                model,
                config=config_json or None,
                files=dict(files) or None,
                **self._call_args(self.load_timeout_s),
            )

    def unload(self, model: str) -> None:
        with self._translate(f"unload {model!r}"):
            self._conn().unload_model(model, **self._call_args())

    def infer(
        self, model: str, version: int, inputs: Mapping[str, NDArray[Any]], outputs: list[str]
    ) -> OneAnswer:
        """One inference; the outputs that came back (and any that came back malformed)."""
        with self._translate(f"infer with {model!r} version {version}"):
            result = self._conn().infer(
                model,
                infer_inputs(self.protocol, inputs),
                model_version=str(version),
                outputs=requested_outputs(self.protocol, outputs),
                **self._call_args(),
            )
        return read_answer(result, outputs)

    # -- plumbing ------------------------------------------------------------------------------
    def _conn(self, timeout_s: float | None = None) -> Any:
        if self._client is None:
            with self._translate("connect"):
                if self.protocol == "http":
                    # one network timeout for every call: the longest (a load) bounds them all
                    self._client = connect.http_client(
                        self.address,
                        ssl=self.ssl,
                        connection_timeout=self.timeout_s,
                        network_timeout=max(self.timeout_s, self.load_timeout_s),
                    )
                else:
                    self._client = connect.grpc_client(self.address, ssl=self.ssl)
        return self._client

    def _call_args(self, timeout_s: float | None = None) -> dict[str, Any]:
        # a fresh dict per call: tritonclient's HTTP infer adds its own entries to the one it gets
        args: dict[str, Any] = {"headers": dict(self._headers) or None}
        if self.protocol == "grpc":
            args["client_timeout"] = timeout_s or self.timeout_s
        return args

    def scrub(self, text: str) -> str:
        """``text`` with every header value and URL credential masked."""
        return scrub(text, self._secrets)

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except FOREIGN as exc:
            seen = read(exc)
            failure = classify(seen.status) if seen.answered else CallFailure.UNREACHABLE
            if failure is CallFailure.UNREACHABLE:
                text = _unreachable(self.url, action, seen.reason)
            else:
                text = (
                    f"cannot {action} on {self.url}: the server answered {seen.status}:"
                    f" {seen.reason}"
                )
            raise RemoteCallError(self.scrub(text), failure, seen.status) from exc


def _unreachable(url: str, action: str, reason: str) -> str:
    return (
        f"cannot {action}: Triton at {url} is unreachable ({reason}) — check that it runs, "
        "the URL, the protocol and TLS"
    )


def config_json(data: Mapping[str, Any]) -> str:
    """The ``config`` load parameter: JSON text with proto field names."""
    return json.dumps(data, sort_keys=True)
