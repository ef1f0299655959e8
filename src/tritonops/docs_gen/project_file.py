"""docs/reference/project-file.md: every field of tritonops.yaml, from the project's JSON Schema.

One section per object type, in the order a reader meets them walking down from the top level;
each section says where in the file the object sits and lists its fields with type, default,
description and an example. Enumerations are listed once at the end.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from tritonops.spec.schema import SCHEMA_PATH, project_schema

Schema = dict[str, Any]

ROOT = "ProjectFile"
_REF = "#/$defs/"
# how deep "where it sits" paths are followed; the mirror nests deeper than anyone reads
_MAX_PATHS = 4


def _ref_name(node: Schema) -> str | None:
    ref = node.get("$ref")
    return ref.removeprefix(_REF) if isinstance(ref, str) else None


def _is_enum(defn: Schema) -> bool:
    return "properties" not in defn and ("enum" in defn or "anyOf" in defn)


def _anchor(name: str) -> str:
    return name.lower()


def _children(node: Schema) -> list[tuple[str, Schema]]:
    """(path suffix, sub-schema) for the places a type can hold another type."""
    found: list[tuple[str, Schema]] = []
    if _ref_name(node) is not None:
        found.append(("", node))
    for key in ("anyOf", "oneOf"):
        for option in node.get(key, []):
            found += _children(option)
    items = node.get("items")
    if isinstance(items, dict):
        found += [("[]" + suffix, sub) for suffix, sub in _children(items)]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        found += [(".<key>" + suffix, sub) for suffix, sub in _children(extra)]
    return found


def _walk(schema: Schema) -> tuple[list[str], dict[str, list[str]]]:
    """Object types in reading order (breadth first from the top) and where each one sits."""
    defs: dict[str, Schema] = schema.get("$defs", {})
    order: list[str] = [ROOT]
    paths: dict[str, list[str]] = {ROOT: [""]}
    queue: deque[str] = deque([ROOT])
    while queue:
        name = queue.popleft()
        defn = schema if name == ROOT else defs[name]
        for field, prop in defn.get("properties", {}).items():
            for suffix, sub in _children(prop):
                target = _ref_name(sub)
                if target is None:
                    continue
                where = [f"{p}.{field}{suffix}".lstrip(".") for p in paths[name]]
                known = paths.setdefault(target, [])
                for path in where:
                    if path not in known and len(known) < _MAX_PATHS:
                        known.append(path)
                if target not in order:
                    order.append(target)
                    queue.append(target)
    return order, paths


def _constraints(node: Schema) -> str:
    parts = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in node and not (key == "maximum" and node[key] >= 2**63 - 1):
            parts.append(f"{sign} {node[key]}")
    if node.get("minLength") == 1:
        parts.append("not empty")
    if node.get("minItems"):
        parts.append(f"at least {node['minItems']}")
    return f" ({', '.join(parts)})" if parts else ""


def _type(node: Schema, defs: Schema) -> str:
    """A field's type in words, linking object and enum types to their sections."""
    name = _ref_name(node)
    if name is not None:
        return f"[{name}](#{_anchor(name)})"
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"]
            return " or ".join(dict.fromkeys(_type(o, defs) for o in options))
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items', {}), defs)}" + _constraints(node)
    if kind == "object":
        values = node.get("additionalProperties")
        inner = _type(values, defs) if isinstance(values, dict) else "any"
        return f"map of text to {inner}" + _constraints(node)
    words = {"string": "text", "integer": "integer", "number": "number", "boolean": "true/false"}
    return words.get(str(kind), str(kind or "any")) + _constraints(node)


def _inline(value: Any) -> str:
    """A value as one line of YAML flow style (JSON is valid YAML)."""
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _default(field: str, node: Schema, required: list[str]) -> str:
    if field in required:
        return "**required**"
    if "default" not in node:
        return "unset"
    value = node["default"]
    if value is None:
        return "unset"
    if isinstance(value, dict) and value and _ref_name(node) is not None:
        return "each field's default"  # a whole object of defaults says less than its section
    return _inline(value)


def _example(node: Schema) -> str:
    examples = node.get("examples")
    if examples:
        return _inline(examples[0])
    return ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _prose(text: str) -> str:
    """Schema prose as Markdown text: one line, and ``<name>`` shown rather than read as HTML."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _object_section(name: str, defn: Schema, paths: list[str], defs: Schema) -> list[str]:
    title = "Top level" if name == ROOT else name
    lines = [f'<a id="{_anchor(name)}"></a>', f"### {title}", ""]
    if defn.get("description"):
        lines += [_prose(str(defn["description"])), ""]
    if name != ROOT:
        where = ", ".join(f"`{p}`" for p in paths)
        lines += [f"Where: {where}", ""]
    properties: Schema = defn.get("properties", {})
    if not properties:
        return [*lines, "No fields: write `{}`.", ""]
    required = list(defn.get("required", []))
    lines += [
        "| field | type | default | description | example |",
        "|---|---|---|---|---|",
    ]
    for field, node in properties.items():
        row = [
            f"`{field}`",
            _type(node, defs),
            _default(field, node, required),
            _prose(str(node.get("description", ""))),
            _example(node),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return [*lines, ""]


def _enum_section(name: str, defn: Schema) -> list[str]:
    lines = [f'<a id="{_anchor(name)}"></a>', f"### {name}", ""]
    options = defn.get("anyOf", [defn])
    listed: list[Any] = next((o["enum"] for o in options if "enum" in o), [])
    canonical = [v for v in listed if v == str(v).upper()]
    shorthand = [v for v in listed if v != str(v).upper()]
    lines.append("Values: " + ", ".join(f"`{v}`" for v in canonical))
    if shorthand:
        lines += [
            "",
            "Also accepted, in any letter case: " + ", ".join(f"`{v}`" for v in shorthand),
        ]
    return [*lines, ""]


HEADER = """\
# Project file reference: tritonops.yaml

<!-- Generated by `python -m tritonops.docs_gen` from the pydantic models in src/tritonops/spec
     (and the model_config mirror). Do not edit by hand: change the models, then regenerate. -->

Every field the project file accepts, as the loader reads it. The same models give the JSON
Schema at [`{schema}`](tritonops.schema.json) (also printed by `tritonops schema`).
Put this line at the top of a project file and editors with the YAML language server (VS Code's
YAML extension, Neovim's yamlls, JetBrains IDEs) complete and check it while you type:

```yaml
# yaml-language-server: $schema=<path or URL of tritonops.schema.json>
```

The schema describes the shape of the file; `tritonops render` and `tritonops build` check more
(files on disk, names across entries, Triton's own rules). How the pieces fit together is in the
[project guide](../project-guide.md).

Fields whose names are Triton's (`dynamic_batching`, `instance_group`, `model_warmup`, ...) mean
what they mean in config.pbtxt and are written into it as they are.

## Objects
"""


def project_file_page() -> str:
    """The whole page, deterministic (the test compares it with the committed file)."""
    schema = project_schema()
    defs: Schema = schema.get("$defs", {})
    order, paths = _walk(schema)
    lines = [HEADER.format(schema=SCHEMA_PATH)]
    enums = []
    for name in order:
        defn = schema if name == ROOT else defs[name]
        if _is_enum(defn):
            enums.append(name)
            continue
        lines += _object_section(name, defn, paths.get(name, []), defs)
    lines += ["## Enumerations", ""]
    for name in sorted(enums):
        lines += _enum_section(name, defs[name])
    return "\n".join(lines).rstrip() + "\n"


def schema_fields(schema: Schema | None = None) -> list[tuple[str, str]]:
    """Every (object type, field) pair of the schema: what the reference must name."""
    schema = project_schema() if schema is None else schema
    pairs = [(ROOT, field) for field in schema.get("properties", {})]
    for name, defn in schema.get("$defs", {}).items():
        pairs += [(name, field) for field in defn.get("properties", {})]
    return pairs
