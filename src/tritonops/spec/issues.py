"""Turning problems into located ``SpecIssue``s: paths, did-you-mean, and pydantic errors in words.

Pydantic reports ``loc`` tuples and terse type names; users need the line in their file, the path in
the form ``models[2].dynamic_batching.preferred_batch_size[1]`` and a sentence that says what to do.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from tritonops.errors import SpecIssue
from tritonops.spec.yamlmarks import Loc, Marks

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def format_path(loc: Loc) -> str:
    """``("models", 2, "inputs", 0, "dims")`` → ``models[2].inputs[0].dims``."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest choice to ``word``, if one is close enough to be a likely typo."""
    options = list(choices)
    by_lower = {c.lower(): c for c in options}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def suggest(word: str, choices: Iterable[str], noun: str = "") -> str:
    """A fix that names the closest choice, or lists the choices when none is close."""
    options = sorted(set(choices))
    guess = did_you_mean(word, options)
    if guess is not None:
        return f"did you mean {guess!r}?"
    if not options:
        return ""
    listed = ", ".join(options)
    return f"known {noun}s: {listed}" if noun else f"choose one of: {listed}"


@dataclass(frozen=True)
class Locator:
    """Makes issues for one project file: knows its name (as the user gave it) and its marks."""

    file: str
    marks: Marks

    def issue(self, loc: Loc, message: str, fix: str = "", *, key: bool = False) -> SpecIssue:
        where = self.marks.locate(loc, key=key)
        return SpecIssue(self.file, where.line, where.column, format_path(loc), message, fix)


def describe(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"a {type(value).__name__}"


def validation_issues(
    errors: Iterable[ErrorDetails], root: type[BaseModel], prefix: Loc, locator: Locator
) -> list[SpecIssue]:
    """Pydantic ``errors`` (from validating ``root`` at ``prefix``) as located issues."""
    return [_one(err, root, prefix, locator) for err in errors]


def _one(err: ErrorDetails, root: type[BaseModel], prefix: Loc, locator: Locator) -> SpecIssue:
    loc = tuple(p for p in err["loc"] if p != "[key]")
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    full = (*prefix, *loc)
    if kind == "extra_forbidden":
        owner = _model_at(root, loc[:-1])
        allowed = _field_names(owner) if owner is not None else []
        key = str(loc[-1]) if loc else ""
        hints: dict[str, str] = getattr(owner, "extra_key_hints", {})
        hint = hints.get(key)
        return locator.issue(full, f"unknown key {key!r}", hint or suggest(key, allowed), key=True)
    if kind == "missing" and loc:
        return locator.issue(full, f"required key {loc[-1]!r} is missing", f"add {loc[-1]}: ...")
    if kind in ("enum", "literal_error"):
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return choice_issue(full, value, allowed, locator)
    message, fix = _phrase(kind, value, ctx, str(err["msg"]))
    return locator.issue(full, message, fix, key=kind == "invalid_key")


def choice_issue(loc: Loc, value: Any, allowed: Sequence[str], locator: Locator) -> SpecIssue:
    """``value`` is not among ``allowed``: name the closest, or list them all."""
    listed = ", ".join(allowed)
    if not isinstance(value, str):
        return locator.issue(loc, f"{describe(value)} is not allowed", f"choose one of: {listed}")
    # Triton enums also accept their values without the prefix (``fp32`` for TYPE_FP32)
    short = {a.split("_", 1)[1] if "_" in a and a.isupper() else a: a for a in allowed}
    guess = did_you_mean(value.upper(), allowed) or did_you_mean(value, short)
    guess = short.get(guess, guess) if guess is not None else None
    fix = f"did you mean {guess!r}?" if guess else f"choose one of: {listed}"
    return locator.issue(loc, f"{value!r} is not one of: {listed}", fix)


def _phrase(kind: str, value: Any, ctx: dict[str, Any], msg: str) -> tuple[str, str]:
    got = describe(value)
    simple = {
        "int_type": ("expected a whole number, got " + got, "write an integer such as 8"),
        "int_parsing": ("expected a whole number, got " + got, "write an integer such as 8"),
        "int_from_float": ("expected a whole number, got " + got, "drop the fraction"),
        "float_type": ("expected a number, got " + got, "write a number such as 0.5"),
        "float_parsing": ("expected a number, got " + got, "write a number such as 0.5"),
        "bool_type": ("expected true or false, got " + got, "write true or false"),
        "bool_parsing": ("expected true or false, got " + got, "write true or false"),
        "string_type": ("expected text, got " + got, "write a string (quote it if needed)"),
        "list_type": ("expected a list, got " + got, "write a YAML list ('- item' per line)"),
        "dict_type": ("expected a mapping, got " + got, "write 'key: value' pairs"),
        "model_type": ("expected a mapping, got " + got, "write 'key: value' pairs"),
        "model_attributes_type": ("expected a mapping, got " + got, "write 'key: value' pairs"),
        "invalid_key": (f"key {value!r} must be text", "quote the key"),
        "recursion_loop": ("this value refers to itself", "remove the alias loop"),
        "string_too_short": ("must not be empty", "write a value"),
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than": (">", "gt"),
        "greater_than_equal": (">=", "ge"),
        "less_than": ("<", "lt"),
        "less_than_equal": ("<=", "le"),
    }
    if kind in bounds:
        op, name = bounds[kind]
        limit = _number(ctx.get(name))
        return f"must be {op} {limit} (got {_number(value)})", f"use a value {op} {limit}"
    if kind == "too_short":
        need = ctx.get("min_length")
        return f"needs at least {need} item(s), got {ctx.get('actual_length')}", "add more"
    if kind == "too_long":
        return f"allows at most {ctx.get('max_length')} item(s)", "remove some"
    if kind in ("value_error", "assertion_error"):
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        message, _, fix = text.partition(" — ")
        return message, fix
    return msg, ""


def _number(value: Any) -> str:
    # pydantic stores float bounds as 0.0; people wrote 0
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that validated the mapping at ``loc`` (relative to ``root``)."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _field_by_name(current, part)
            if field is None:
                return None
            current = field
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin is list and args:
                current = args[0]
            elif origin is dict and len(args) == 2:
                current = args[1]
            else:
                return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_by_name(model: type[BaseModel], name: Any) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info.annotation
    return None


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the one type that carries fields."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp
