"""The config a server actually loaded (auto-completed fields included), as a ``ModelConfig``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from google.protobuf import json_format

from tritonops.errors import ClientError, TritonOpsError
from tritonops.model_config import ModelConfig, from_proto
from tritonops.model_config.proto import ProtoConfig
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
) -> ModelConfig:
    """``model``'s served config from the server at ``address`` (``host:port``)."""
    what = f"read the config of {model!r} at {address}"
    if protocol == "http":
        path = rest.model_path(model, version) + "/config"
        return parse_served(rest.get_json(address, path, what, error=error, timeout_s=timeout_s))
    client = connect.grpc_client(address)
    try:
        with reraised(error, f"cannot {what}"):
            data = client.get_model_config(model, version, as_json=True, client_timeout=timeout_s)
    finally:
        client.close()
    return parse_served(data)
