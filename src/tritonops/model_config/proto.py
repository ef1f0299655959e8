"""Conversion between the mirror and Triton's own protobuf schema (``model_config_pb2``).

This is the one boundary where protobuf errors become ``ConfigParseError``.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from google.protobuf import json_format, text_format
from pydantic import BaseModel
from tritonclient.grpc import model_config_pb2

from tritonops.errors import ConfigParseError, RenderError
from tritonops.model_config.config import ModelConfig
from tritonops.model_config.suggest import clean_reason, suggestion

ProtoConfig = model_config_pb2.ModelConfig

_POSITION = re.compile(r"^(\d+):(\d+) : (.*)$", re.S)


def _wrap_parameters(data: dict[str, Any]) -> dict[str, Any]:
    params = data.get("parameters")
    if params:
        data["parameters"] = {k: {"string_value": v} for k, v in params.items()}
    return data


def _is_proto_zero(value: Any) -> bool:
    if isinstance(value, Enum):
        return value is next(iter(type(value)))
    return (
        value is None
        or (not isinstance(value, bool | int | float) and not value)
        or (isinstance(value, bool | int | float) and value == 0)
    )


def _prune(message: BaseModel) -> dict[str, Any]:
    """Fields to write: everything except values equal to BOTH the mirror's and proto's default.

    A mirror default that proto3 cannot express (``model_version: -1``, ``num_versions: 1``,
    warmup ``batch_size: 1``, pinned memory ``enable: true``) is written out, else Triton reads 0.
    """
    out: dict[str, Any] = {}
    for name, info in type(message).model_fields.items():
        value = getattr(message, name)
        at_default = not info.is_required() and value == info.get_default(call_default_factory=True)
        if at_default and _is_proto_zero(value):
            continue
        out[info.alias or name] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _prune(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def to_dict(config: ModelConfig) -> dict[str, Any]:
    """The proto-JSON form of a mirror config (proto field names; proto defaults omitted)."""
    data = _prune(config)
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
    # defaults included: an unset proto3 scalar means 0, which is not always the mirror default
    data = json_format.MessageToDict(
        message, preserving_proto_field_name=True, including_default_value_fields=True
    )
    data.setdefault("name", "")
    return ModelConfig.model_validate(data)


def parse_text(text: str, file: str = "config.pbtxt") -> Any:
    """Parse config.pbtxt text exactly as Triton's schema defines it; errors carry file:line:col."""
    message = ProtoConfig()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        line, column, reason = _position(exc)
        raise ConfigParseError(
            file, line, column, explain(reason, message.DESCRIPTOR, text, line)
        ) from exc
    return message


def explain(reason: str, descriptor: Any, text: str = "", line: int | None = None) -> str:
    """protobuf's parse error with a did-you-mean from ``descriptor`` (the schema parsed with)."""
    hint = suggestion(reason, descriptor, text, line)
    reason = clean_reason(reason)
    return f"{reason} — {hint}" if hint else reason


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
