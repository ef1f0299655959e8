"""Conversion between the mirror and Triton's own protobuf schema (``model_config_pb2``).

This is the one boundary where protobuf errors become ``ConfigParseError``.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2

from tritonops.errors import ConfigParseError, RenderError
from tritonops.model_config.config import ModelConfig

ProtoConfig = model_config_pb2.ModelConfig

_POSITION = re.compile(r"^(\d+):(\d+) : (.*)$", re.S)


def _wrap_parameters(data: dict[str, Any]) -> dict[str, Any]:
    params = data.get("parameters")
    if params:
        data["parameters"] = {k: {"string_value": v} for k, v in params.items()}
    return data


def to_dict(config: ModelConfig) -> dict[str, Any]:
    """The proto-JSON form of a mirror config (defaults omitted, proto field names)."""
    data = config.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    # name is required in the mirror but is still a default-omitted scalar for proto.
    data.setdefault("name", config.name)
    return _wrap_parameters(data)


def to_proto(config: ModelConfig) -> Any:
    """The ``inference.ModelConfig`` message equal to ``config``."""
    message = ProtoConfig()
    try:
        json_format.ParseDict(to_dict(config), message)
    except json_format.ParseError as exc:  # a mirror that proto cannot hold is a tritonops bug
        raise RenderError(
            f"model {config.name!r} does not convert to Triton's schema: {exc}"
        ) from exc
    return message


def from_proto(message: Any) -> ModelConfig:
    """The mirror of an ``inference.ModelConfig`` message."""
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    data.setdefault("name", "")
    return ModelConfig.model_validate(data)


def parse_text(text: str, file: str = "config.pbtxt") -> Any:
    """Parse config.pbtxt text exactly as Triton's schema defines it; errors carry file:line:col."""
    message = ProtoConfig()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        line, column, reason = _position(exc)
        raise ConfigParseError(file, line, column, reason) from exc
    return message


def _position(exc: text_format.ParseError) -> tuple[int | None, int | None, str]:
    line, column = exc.GetLine(), exc.GetColumn()
    text = str(exc)
    match = _POSITION.match(text)
    if match:
        return int(match.group(1)), int(match.group(2)), match.group(3)
    return line, column, text


def to_text(message: Any) -> str:
    """Protobuf's canonical text form of a message (used to compare and to explain mismatches)."""
    return str(text_format.MessageToString(message))
