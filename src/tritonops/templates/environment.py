"""The one Jinja environment every config.pbtxt template runs in: sandboxed, strict, plain text.

Project override templates come from the project folder, and CI renders projects from pull
requests, so a template is untrusted code. Jinja's ``ImmutableSandboxedEnvironment`` refuses
attributes that lead out of the template's data (anything starting with ``_`` such as
``__init__``/``__globals__``, and function internals: ``jinja2.sandbox.is_internal_attribute``)
and calls of methods that mutate lists or dicts; such an access raises
``jinja2.exceptions.SecurityError`` (a ``TemplateError``) instead of running anything.

Two holes the stock sandbox leaves open are closed here:

- ``plan`` holds ``pathlib.Path`` objects (the files to copy), and a ``Path``'s public methods
  write, delete and read files (``write_text``, ``unlink``, ``read_text``): no attribute of a path
  or a module is reachable from a template; a path still prints as its text.
- ``'x' * 10**10`` or ``10 ** 10 ** 10`` would exhaust memory or time: ``*`` and ``**`` are
  checked, so a template's output stays bounded.

Our own templates run in the same environment, so they cannot depend on anything an override could
not use.
"""

from __future__ import annotations

import operator
import types
from pathlib import PurePath
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

SecurityError = jinja2.exceptions.SecurityError

# Far above anything a config.pbtxt needs (repeats of a dims list, 2**k batch sizes).
MAX_REPEAT = 100_000
MAX_EXPONENT = 256


class _ConfigSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, PurePath | types.ModuleType):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context: jinja2.runtime.Context, op: str, left: Any, right: Any) -> Any:
        if op == "**" and _too_big(right, MAX_EXPONENT):
            raise SecurityError(f"exponent {right!r} is larger than {MAX_EXPONENT}")
        if op == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and _too_big(
                    count, MAX_REPEAT // max(1, len(seq))
                ):
                    raise SecurityError(
                        f"repeating a {type(seq).__name__} {count!r} times would make more than "
                        f"{MAX_REPEAT} items"
                    )
            return operator.mul(left, right)
        return super().call_binop(context, op, left, right)


def _too_big(value: Any, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > limit


def template_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """A sandboxed environment over ``loader``: ``StrictUndefined``, text (not HTML) output."""
    return _ConfigSandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
