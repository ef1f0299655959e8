"""Did-you-mean for config.pbtxt parse errors, from the protobuf schema in scope.

protobuf's text parser stops at the first unknown name and says which message or enum type it was
reading (``Message type "inference.ModelInput" has no field named "nme"``, ``Enum type
"inference.DataType" has no value named FP32``). The suggestion comes from that type's own field
or value names in the descriptor (difflib), so it is right for any nesting level and any schema
version, never from a hand-kept list.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_QUOTED_LINE = re.compile(r"^'.*?': (?=(?:Message|Enum) type )", re.S)
_FIELD = re.compile(r'Message type "([\w.]+)" has no field named "(\w+)"')
_ENUM = re.compile(r'Enum type "([\w.]+)" has no value named (\w+)')


def clean_reason(reason: str) -> str:
    """protobuf's reason without the quoted copy of the whole line it sometimes prepends."""
    return _QUOTED_LINE.sub("", reason)


def suggestion(reason: str, root: Any, text: str = "", line: int | None = None) -> str:
    """A hint for ``reason`` (a text_format error) against ``root``, a message Descriptor.

    Unknown field: the closest field of the message type named in the error. Unknown enum value:
    the closest value of that enum (``FP32`` -> ``TYPE_FP32``, ``KIND_CPUU`` -> ``KIND_CPU``); every
    other line of ``text`` using the same unknown value is listed once in the same hint, so a
    dtype misspelt on ten tensors is one finding. "" when nothing close is known.
    """
    reason = clean_reason(reason)
    field = _FIELD.search(reason)
    if field:
        message = _find(root, field.group(1), enum=False)
        names = [f.name for f in message.fields] if message is not None else []
        guess = _closest(field.group(2), names)
        if guess:
            return f"did you mean `{guess}`? (a field of {field.group(1).rpartition('.')[2]})"
        owner = field.group(1).rpartition(".")[2]
        return f"{owner} has the fields: {', '.join(names)}" if names else ""
    value = _ENUM.search(reason)
    if value:
        enum = _find(root, value.group(1), enum=True)
        names = [v.name for v in enum.values] if enum is not None else []
        bad = value.group(2)
        guess = _closest(bad, names, prefixes=_prefixes(names))
        fix = f"did you mean {guess}?" if guess else f"use one of: {', '.join(names)}"
        others = _other_lines(text, bad, line)
        if others:
            fix += f" ({bad} is also used on line{'s' if len(others) > 1 else ''} "
            fix += f"{', '.join(map(str, others))}: fix every one)"
        return fix
    return ""


def _prefixes(names: list[str]) -> list[str]:
    """The common ``TYPE_``/``KIND_`` style prefix of an enum's values, if they share one."""
    heads = {n.split("_", 1)[0] for n in names if "_" in n}
    return [f"{heads.pop()}_"] if len(heads) == 1 and all("_" in n for n in names) else []


def _closest(name: str, names: list[str], prefixes: list[str] | None = None) -> str:
    for prefix in prefixes or ():
        if f"{prefix}{name.upper()}" in names:
            return f"{prefix}{name.upper()}"  # FP32 -> TYPE_FP32, cpu -> KIND_CPU
    exact = [n for n in names if n.lower() == name.lower()]
    if exact:
        return exact[0]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
    if close:
        return close[0]
    longer = [n for n in names if n.startswith(name) and len(name) >= 4]
    return longer[0] if len(longer) == 1 else ""  # max_queue_delay -> ..._microseconds


def _find(root: Any, full_name: str, *, enum: bool) -> Any:
    """The message (or enum) descriptor called ``full_name`` reachable from ``root``."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        message = stack.pop()
        if message.full_name in seen:
            continue
        seen.add(message.full_name)
        if not enum and message.full_name == full_name:
            return message
        if enum:
            for kind in message.enum_types:
                if kind.full_name == full_name:
                    return kind
        for field in message.fields:
            if field.enum_type is not None and enum and field.enum_type.full_name == full_name:
                return field.enum_type
            if field.message_type is not None:
                stack.append(field.message_type)
        stack.extend(message.nested_types)
    return None


def _other_lines(text: str, token: str, line: int | None) -> list[int]:
    """Lines of ``text`` other than ``line`` where ``token`` stands as a value (``: TOKEN``)."""
    if not text:
        return []
    pattern = re.compile(rf":\s*{re.escape(token)}\b")
    return [
        n for n, body in enumerate(text.splitlines(), start=1) if n != line and pattern.search(body)
    ]
