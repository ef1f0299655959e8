"""config.pbtxt parsed with the newest model_config schema (built at run time).

The model_config_pb2 the project pins (tritonclient 2.50, Triton 24.09: the last whose
perf_analyzer runs on glibc 2.36) predates fields newer Tritons accept, so a config using them
would not parse. The newest schema is built at run time: a copy of the pinned file descriptor
plus the declarations in ``_ADDED`` below (fields the pinned one lacks, with the proto's own
numbers and types; see ``releases.FIELDS`` for where each comes from), loaded into a private
descriptor pool. Enum values and field numbers are unchanged, so both schemas' messages read
alike.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from tritonclient.grpc import model_config_pb2 as pb

from tritonops.errors import ConfigParseError
from tritonops.model_config.proto import explain

PINNED_RELEASE = "24.09"  # the Triton release of the pinned tritonclient's model_config_pb2

_F = descriptor_pb2.FieldDescriptorProto
_OPT, _REP = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_MSG = _F.TYPE_MESSAGE

# Messages and fields of the newest proto that the pinned descriptor lacks:
# (message path, field name, number, label, type, message type path or "", oneof name or "")
_NEW_MESSAGES = (
    "ModelMetrics",
    "ModelMetrics.MetricControl",
    "ModelMetrics.MetricControl.MetricIdentifier",
    "ModelMetrics.MetricControl.HistogramOptions",
)
_ADDED: tuple[tuple[str, str, int, int, int, str, str], ...] = (
    ("ModelEnsembling", "max_inflight_requests", 2, _OPT, _F.TYPE_UINT32, "", ""),
    ("ModelMetrics.MetricControl.MetricIdentifier", "family", 1, _OPT, _F.TYPE_STRING, "", ""),
    ("ModelMetrics.MetricControl.HistogramOptions", "buckets", 1, _REP, _F.TYPE_DOUBLE, "", ""),
    (
        "ModelMetrics.MetricControl",
        "metric_identifier",
        1,
        _OPT,
        _MSG,
        "ModelMetrics.MetricControl.MetricIdentifier",
        "",
    ),
    (
        "ModelMetrics.MetricControl",
        "histogram_options",
        2,
        _OPT,
        _MSG,
        "ModelMetrics.MetricControl.HistogramOptions",
        "metric_options",
    ),
    ("ModelMetrics", "metric_control", 1, _REP, _MSG, "ModelMetrics.MetricControl", ""),
    ("ModelConfig", "model_metrics", 26, _OPT, _MSG, "ModelMetrics", ""),
)

_POSITION = re.compile(r"^(\d+):(\d+) : (.*)$", re.S)


def _message(file: Any, path: str) -> Any:
    """The DescriptorProto at ``path`` (dotted, nested names) in ``file``, created if absent."""
    parts = path.split(".")
    siblings = file.message_type
    found = None
    for part in parts:
        found = next((m for m in siblings if m.name == part), None)
        if found is None:
            found = siblings.add(name=part)
        siblings = found.nested_type
    return found


@cache
def newest_config_class() -> Any:
    """The ``inference.ModelConfig`` message class of the newest schema (built once)."""
    file = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(file)
    for path in _NEW_MESSAGES:
        _message(file, path)
    for path, name, number, label, kind, type_path, oneof in _ADDED:
        message = _message(file, path)
        if any(f.name == name for f in message.field):
            continue  # a newer pinned tritonclient already has it
        field = message.field.add(name=name, number=number, label=label, type=kind)
        field.json_name = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
        if type_path:
            field.type_name = f".{file.package}.{type_path}"
        if oneof:
            names = [o.name for o in message.oneof_decl]
            if oneof not in names:
                message.oneof_decl.add(name=oneof)
                names.append(oneof)
            field.oneof_index = names.index(oneof)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    descriptor = pool.FindMessageTypeByName(f"{file.package}.ModelConfig")
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)  # protobuf < 4.22


def parse_newest(text: str, file: str) -> Any:
    """Parse config.pbtxt with the newest schema; errors carry file:line:column."""
    message = newest_config_class()()
    try:
        text_format.Parse(text, message)
    except text_format.ParseError as exc:
        match = _POSITION.match(str(exc))
        line, column, reason = (
            (int(match.group(1)), int(match.group(2)), match.group(3))
            if match
            else (exc.GetLine(), exc.GetColumn(), str(exc))
        )
        why = explain(reason, message.DESCRIPTOR, text, line)
        raise ConfigParseError(file, line, column, why) from exc
    return message
