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


class Templates:
    """Parses of configs that differ only in their top-level ``name`` line, kept for one run.

    Repositories at scale hold many configs rendered from one template per model kind, differing
    only in ``name``. protobuf's text parser is pure Python and costs about half of a
    repository's validation, so the second config of a template has the template itself parsed
    once (the name line left empty) and checked to be the first config without its name; every
    later config of that template is then a copy with its own name. A config seen once costs one
    parse, as without this; errors always come from a full parse of the config itself.
    """

    def __init__(self, slots: int = 4096) -> None:
        self._slots = slots  # bounded: a hostile repository cannot grow it without limit
        self._first: dict[str, Any] = {}  # template -> the first config parsed from it
        self._known: dict[str, Any] = {}  # template -> its parse without a name, checked

    def parse(self, text: str, file: str) -> Any:
        cls = newest_config_class()
        found = _NAME_LINE.search(text)
        if found is None or len(text) > _TEMPLATE_MAX_CHARS:
            return _parse(cls, text, file)
        name = found.group(1)
        template = text[: found.start()] + text[found.end() :]  # the line stays, empty
        known = self._known.get(template)
        if known is not None:
            message = cls()
            message.CopyFrom(known)
            message.name = name
            return message
        message = _parse(cls, text, file)
        first = self._first.get(template)
        if first is None:
            if len(self._first) < self._slots:
                self._first[template] = message
        elif first is not _REFUSED:
            self._first[template] = _REFUSED
            self._known_template(cls, template, first)
        return message

    def _known_template(self, cls: Any, template: str, first: Any) -> None:
        """Keep ``template``'s parse when it is ``first`` without its name (checked, not assumed).

        The emptied line may not have been the top-level name (a nested ``name:`` written at
        column 0): then the template parses to something else and is not kept. Texts sharing a
        template share everything around that line, so what holds for one holds for all.
        """
        try:
            bare = _parse(cls, template, "")
        except ConfigParseError:
            return
        named = cls()
        named.CopyFrom(bare)
        named.name = first.name
        if named == first and first.name and not bare.name:
            self._known[template] = bare


def parse_newest(text: str, file: str, templates: Templates | None = None) -> Any:
    """Parse config.pbtxt with the newest schema; errors carry file:line:column.

    ``templates``: shared by the configs of one repository, so those rendered from one template
    are parsed once (see Templates).
    """
    if templates is not None:
        return templates.parse(text, file)
    return _parse(newest_config_class(), text, file)


# a top-level-looking name line whose value is a plain model name (nothing the parser could refuse)
_NAME_LINE = re.compile(r'^name:[ \t]*"([A-Za-z0-9_.\-]+)"[ \t]*$', re.M)
_TEMPLATE_MAX_CHARS = 64 * 1024  # larger configs are rare and parsed every time
_REFUSED: Any = object()  # a template already tried (kept in _known, or not cacheable)


def _parse(cls: Any, text: str, file: str) -> Any:
    message = cls()
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
