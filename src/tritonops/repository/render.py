"""Render a model's config.pbtxt from Jinja templates, then prove it says what the config says.

Every rendered text is parsed back with Triton's own schema and compared with ``to_proto`` of the
config; a difference is a bug in tritonops or in a project's override template, reported with a
diff, never written. Templates receive the config in the form Triton's schema receives it
(``to_dict``: proto field names, fields at their default absent), so deciding what to omit is not
the templates' business.
"""

from __future__ import annotations

import difflib
import functools
import traceback
from pathlib import Path
from typing import Any

import jinja2

from tritonops.errors import ConfigParseError, RenderError
from tritonops.model_config import parse_text, to_dict, to_proto, to_text
from tritonops.spec.plan import ModelPlan
from tritonops.templates.environment import SecurityError, template_environment

_PACKAGE_TEMPLATES = ("tritonops", "templates")
_SUFFIX = ".pbtxt.j2"
_BASE = "base"  # base.pbtxt.j2: the layout kind templates extend, not a kind

# Protobuf text escapes for the characters that have a short form; any other character that is
# not printable becomes octal UTF-8 bytes, so the file shows no invisible characters.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def pbstr(value: object) -> str:
    """``value`` as a double-quoted protobuf text string (printable non-ASCII kept as is)."""
    if not isinstance(value, str):
        raise TypeError(f"pbstr expects a string, got {type(value).__name__} {value!r}")
    out = []
    for char in value:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            out.append("".join(f"\\{byte:03o}" for byte in char.encode("utf-8")))
    return '"' + "".join(out) + '"'


def pbbool(value: object) -> str:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise TypeError(f"pbbool expects a bool, got {type(value).__name__} {value!r}")
    return "true" if value else "false"


def pbfloat(value: object) -> str:
    """A float written so that it parses back to the very float32 protobuf stores for it.

    ``repr`` is the exact double, and text parsing narrows that double to float32 the same way
    building the message from the config does.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"pbfloat expects a number, got {type(value).__name__} {value!r}")
    return repr(float(value))


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return pbbool(value)
    if isinstance(value, str):
        return pbstr(value)
    if isinstance(value, float):
        return pbfloat(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"pblist cannot write {type(value).__name__} {value!r}")


def pblist(values: object) -> str:
    """A repeated scalar field's value in list form: ``[ 1, 2 ]``, ``[ "a" ]``, ``[ ]``."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"pblist expects a list, got {type(values).__name__} {values!r}")
    if not values:
        return "[ ]"
    return "[ " + ", ".join(_scalar(v) for v in values) + " ]"


FILTERS = {"pbstr": pbstr, "pbbool": pbbool, "pbfloat": pbfloat, "pblist": pblist}


class _ByFileName(jinja2.FileSystemLoader):
    """Finds ``partials/_io.j2`` as ``_io.j2`` at the top of the override folder, too."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        return super().get_source(environment, template.rsplit("/", 1)[-1])

    def list_templates(self) -> list[str]:
        return []


class TemplateSet:
    """The templates config.pbtxt is rendered from: a project's overrides first, then ours.

    ``override_dir`` may hold any template or partial, either by its bare file name
    (``_batching.j2``) or at its path in the package (``partials/_batching.j2``).
    """

    def __init__(self, override_dir: Path | None = None) -> None:
        if override_dir is not None and not override_dir.is_dir():
            raise RenderError(
                f"template folder {override_dir} does not exist — create it, or drop the "
                "templates setting to use tritonops' own templates"
            )
        self.override_dir = override_dir
        self._package = jinja2.PackageLoader(*_PACKAGE_TEMPLATES)
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            loaders += [jinja2.FileSystemLoader(override_dir), _ByFileName(override_dir)]
        loaders.append(self._package)
        self.environment = template_environment(jinja2.ChoiceLoader(loaders))
        self.environment.filters.update(FILTERS)

    @staticmethod
    def template_name(kind: str) -> str:
        return f"{kind}{_SUFFIX}"

    def kinds(self) -> list[str]:
        """The model kinds tritonops ships a template for."""
        names = self._package.list_templates()
        kinds = {n.removesuffix(_SUFFIX) for n in names if n.endswith(_SUFFIX) and "/" not in n}
        return sorted(kinds - {_BASE})

    def overridden(self) -> list[str]:
        """Names of the package templates the override folder replaces."""
        if self.override_dir is None:
            return []
        root = self.override_dir
        return [
            name
            for name in self._package.list_templates()
            if (root / name).is_file() or (root / name.rsplit("/", 1)[-1]).is_file()
        ]

    def describe(self, kind: str) -> str:
        """``onnx.pbtxt.j2`` plus the overrides in play, for error messages."""
        text = self.template_name(kind)
        if self.overridden():
            text += f" (with overrides from {self.override_dir}: {', '.join(self.overridden())})"
        return text


@functools.cache
def _default_templates() -> TemplateSet:
    return TemplateSet()


def _template_location(exc: BaseException) -> str:
    """``file:line`` of the template line that raised, from Jinja's rewritten traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
    if frames:
        return f"{frames[-1].filename}:{frames[-1].lineno}"
    return "(unknown template line)"


def _render_text(plan: ModelPlan, templates: TemplateSet) -> str:
    name = templates.template_name(plan.kind)
    context = {"config": to_dict(plan.config), "plan": plan}
    try:
        return templates.environment.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        if exc.name == name:
            raise RenderError(
                f"model {plan.name!r}: no template for kind {plan.kind!r} ({name}) — use one of "
                f"{', '.join(templates.kinds())}, or add {name} to the project's templates folder"
            ) from exc
        raise RenderError(
            f"model {plan.name!r}: template {_template_location(exc)} includes {exc.name!r}, "
            "which no template folder holds"
        ) from exc
    except SecurityError as exc:
        raise RenderError(
            f"model {plan.name!r}: template {_template_location(exc)} tried something templates "
            f"may not do ({exc}) — templates run sandboxed: use only the `config` and `plan` "
            "values and the pb* filters"
        ) from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(
            f"model {plan.name!r}: template {_template_location(exc)}: {exc.message} — fields at "
            "their default are absent from `config`; guard them with `is defined`"
        ) from exc
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        raise RenderError(
            f"model {plan.name!r}: template {_template_location(exc)}: {exc}"
        ) from exc


def render_config(
    plan: ModelPlan, templates: TemplateSet | None = None, source_name: str = "config.pbtxt"
) -> str:
    """The config.pbtxt text for ``plan``, proven to parse back to exactly ``plan.config``."""
    templates = templates or _default_templates()
    expected = to_proto(plan.config)
    text = _render_text(plan, templates)
    used = templates.describe(plan.kind)
    try:
        rendered = parse_text(text, source_name)
    except ConfigParseError as exc:
        lines = text.splitlines()
        shown = lines[exc.line - 1] if exc.line and exc.line <= len(lines) else ""
        raise RenderError(
            f"model {plan.name!r}: template {used} rendered text that Triton's schema rejects: "
            f"{exc}\n  {shown}"
        ) from exc
    if rendered != expected:
        diff = "".join(
            difflib.unified_diff(
                to_text(expected).splitlines(keepends=True),
                to_text(rendered).splitlines(keepends=True),
                fromfile=f"expected ({plan.name})",
                tofile=f"rendered ({templates.template_name(plan.kind)})",
            )
        )
        raise RenderError(
            f"model {plan.name!r}: template {used} rendered a config.pbtxt that does not match "
            "the model's config (a bug in tritonops or in an override template):\n"
            + (diff or "(the text forms agree; a value differs that text cannot show, e.g. NaN)")
        )
    return text
