"""The config a server actually loaded (auto-completed fields included), as a ``ModelConfig``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from google.protobuf import json_format

from tritonops.errors import ClientError, TritonOpsError
from tritonops.headers import grpc_metadata
from tritonops.model_config import ModelConfig, from_proto
from tritonops.model_config.proto import ProtoConfig
from tritonops.redact import scrub
from tritonops.triton import connect, rest
from tritonops.triton.failures import reraised


def parse_served(data: Mapping[str, Any]) -> ModelConfig:
    """A served config in proto-JSON (HTTP's body, or gRPC's ``{"config": ...}``)."""
    raw = data.get("config", data)
    message = ProtoConfig()
    # a newer server may add fields this schema does not know: they cannot matter to us
    json_format.ParseDict(raw, message, ignore_unknown_fields=True)
    return from_proto(message)


def served_config(
    address: str,
    model: str,
    *,
    protocol: Literal["http", "grpc"] = "http",
    version: str = "",
    error: type[TritonOpsError] = ClientError,
    timeout_s: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> ModelConfig:
    """``model``'s served config from the server at ``address`` (``host:port``), asked with
    ``headers`` (HTTP headers, or gRPC metadata under lower-case keys); their values are masked
    in any error."""
    what = f"read the config of {model!r} at {address}"
    secrets = list((headers or {}).values())
    if protocol == "http":
        path = rest.model_path(model, version) + "/config"
        try:
            data = rest.get_json(
                address, path, what, error=error, timeout_s=timeout_s, headers=headers
            )
        except TritonOpsError as exc:
            raise error(scrub(str(exc), secrets)) from exc
        return parse_served(data)
    client = connect.grpc_client(address)
    try:
        with reraised(error, f"cannot {what}", secrets=secrets):
            data = client.get_model_config(
                model,
                version,
                headers=grpc_metadata(headers) if headers else None,
                as_json=True,
                client_timeout=timeout_s,
            )
    finally:
        client.close()
    return parse_served(data)
