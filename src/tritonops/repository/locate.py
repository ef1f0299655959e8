"""Field path -> line number in a config.pbtxt.

protobuf's Python text parser keeps no positions, so diagnostics that point at a field find it here:
a small tokenizer builds a tree of (field name, line) nodes, and a path such as
``input[1].dims[0]`` or ``ensemble_scheduling.step[0].input_map["IMAGE"]`` walks it. An unresolved
path falls back to the deepest field it did reach, then to None.

The tree is built on first use only, so valid models never pay for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\r\f\v]+)
    | (?P<nl>\n)
    | (?P<comment>\#[^\n]*)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<word>[A-Za-z0-9_.+\-]+)
    | (?P<punct>[{}\[\]<>:,;/])
    | (?P<other>.)
    """,
    re.X,
)
_SEGMENT = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.')
_OPEN = {"{": "}", "<": ">"}


@dataclass
class _Node:
    """One field occurrence; repeated fields appear as several nodes with the same name."""

    name: str
    line: int
    children: list[_Node] = field(default_factory=list)
    scalars: list[tuple[str, int]] = field(default_factory=list)
    _by_name: dict[str, list[_Node]] | None = None

    def named(self, name: str) -> list[_Node]:
        """Children called ``name``, from an index built once (a lookup per finding stays O(1))."""
        if self._by_name is None:
            index: dict[str, list[_Node]] = {}
            for child in self.children:
                index.setdefault(child.name, []).append(child)
            self._by_name = index
        return self._by_name.get(name, [])


def _tokens(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    line = 1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "nl":
            line += 1
        elif kind in ("string", "word", "punct", "other"):
            out.append((match.group(), line))
    return out


class _Builder:
    """A forgiving recursive-descent reader of protobuf text format (positions only, no types)."""

    def __init__(self, tokens: list[tuple[str, int]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else ""

    def take(self) -> tuple[str, int]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fields(self, parent: _Node, close: str) -> None:
        while self.pos < len(self.tokens):
            token = self.peek()
            if token == close:
                self.pos += 1
                return
            if token in (",", ";"):
                self.pos += 1
                continue
            name, line = self.take()
            if not re.match(r"[A-Za-z_]", name):
                continue  # junk (a parse error elsewhere reports it); keep going
            if self.peek() == ":":
                self.pos += 1
            self.value(parent, name, line)

    def value(self, parent: _Node, name: str, line: int) -> None:
        token = self.peek()
        if token in _OPEN:
            self.pos += 1
            node = _Node(name, line)
            parent.children.append(node)
            self.fields(node, _OPEN[token])
        elif token == "[":
            self.pos += 1
            node = _Node(name, line)
            while self.pos < len(self.tokens) and self.peek() != "]":
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() in _OPEN:
                    close = _OPEN[self.peek()]
                    _, item_line = self.take()
                    item = _Node(name, item_line)
                    parent.children.append(item)
                    self.fields(item, close)
                else:
                    node.scalars.append(self.take())
            self.pos += 1
            if node.scalars or not any(c.name == name for c in parent.children):
                parent.children.append(node)
        elif token:
            node = _Node(name, line)
            node.scalars.append(self.take())
            # adjacent string literals concatenate in text format
            while self.peek()[:1] in ('"', "'"):
                self.pos += 1
            parent.children.append(node)


def _unquote(token: str) -> str:
    if token[:1] in ('"', "'"):
        return token[1:-1].encode("utf-8").decode("unicode_escape", errors="replace")
    return token


class ConfigLines:
    """Finds the line of a field path in one config.pbtxt text."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: _Node | None = None
        # resolved path prefix -> (nodes, line so far): thousands of findings under one repeated
        # field share their prefix, so each finding costs its own last segment only (linear overall)
        self._prefixes: dict[str, tuple[list[_Node], int | None, bool]] = {}

    @property
    def root(self) -> _Node:
        if self._root is None:
            root = _Node("", 0)
            try:
                _Builder(_tokens(self._text)).fields(root, "")
            except RecursionError:
                root = _Node("", 0)  # nesting deeper than any schema allows: lines stay unknown
            self._root = root
        return self._root

    def line(self, path: str) -> int | None:
        """Line of ``path``, else of its deepest resolvable parent, else None."""
        if not path:
            return None
        nodes: list[_Node] = [self.root]
        best: int | None = None
        prefix = ""
        for (name, index, key), text in _segments(path):
            prefix += text
            cached = self._prefixes.get(prefix)
            if cached is None:
                cached = self._step(nodes, best, name, index, key)
                self._prefixes[prefix] = cached
            nodes, best, resolved = cached
            if not resolved:
                return best
        return best

    def _step(
        self,
        nodes: list[_Node],
        best: int | None,
        name: str | None,
        index: int | None,
        key: str | None,
    ) -> tuple[list[_Node], int | None, bool]:
        """One path segment from ``nodes``: (nodes reached, line, whether it resolved)."""
        if name is not None:
            if len(nodes) == 1 and nodes[0].named(name):
                found = nodes[0].named(name)  # shared, never mutated: no copy per lookup
            else:
                found = []
                for node in nodes:
                    hits = list(node.named(name))
                    if not hits and name not in ("key", "value"):
                        for value in node.named("value"):  # in a map entry, fields sit in value
                            hits.extend(value.named(name))
                    found.extend(hits)
            if not found:
                return nodes, best, False
            return found, found[0].line, True
        if index is not None:
            line, reached = _index(nodes, index)
            if line is None:
                return nodes, best, False
            return reached, line, True
        if key is not None:
            entries = [n for n in nodes if key in _keys(n)]
            if not entries:
                return nodes, best, False
            return entries[:1], entries[0].line, True
        return nodes, best, True


def _keys(entry: _Node) -> set[str]:
    return {_unquote(token) for k in entry.named("key") for token, _ in k.scalars}


def _index(nodes: list[_Node], index: int) -> tuple[int | None, list[_Node]]:
    """Element ``index`` of a repeated field: a message occurrence, or a scalar of a list."""
    if len(nodes) == 1 and nodes[0].scalars:
        scalars = nodes[0].scalars  # one `dims: [ ... ]` list: index it without copying
    else:
        # a field is either repeated messages or scalars, never both: the first node tells which
        scalars = [s for n in nodes for s in n.scalars] if nodes and nodes[0].scalars else []
    if scalars:
        return (scalars[index][1], nodes) if index < len(scalars) else (None, nodes)
    if index < len(nodes):
        return nodes[index].line, [nodes[index]]
    return None, nodes


def _segments(path: str) -> list[tuple[tuple[str | None, int | None, str | None], str]]:
    """The segments of ``path``, each with the text it was spelled with (for the prefix cache)."""
    out: list[tuple[tuple[str | None, int | None, str | None], str]] = []
    for match in _SEGMENT.finditer(path):
        name, index, key = match.groups()
        if name is not None:
            out.append(((name, None, None), "." + name))
        elif index is not None:
            out.append(((None, int(index), None), match.group()))
        elif key is not None:
            out.append(((None, None, key.replace('\\"', '"')), match.group()))
    return out


def field_path(*parts: str | int) -> str:
    """Build a locator path: ``field_path("input", 1, "dims")`` -> ``input[1].dims``.

    A str part that is quoted by the caller with ``key()`` selects a map entry.
    """
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith("["):
            text += part
        else:
            text += ("." if text else "") + part
    return text


def key(value: str | int) -> str:
    """A map-key path segment: ``key("IMAGE")`` -> ``["IMAGE"]``."""
    escaped = str(value).replace('"', '\\"')
    return f'["{escaped}"]'


Step = tuple[str, int | str | None]  # a field, with its index in a repeated field or its map key
# repeated message fields of model_config.proto, indexed even when they hold one element
_REPEATED = frozenset({"input", "output", "step", "instance_group", "model_warmup"})


def path_at(text: str, line: int) -> list[Step]:
    """The field a line of config.pbtxt belongs to, outermost first (the reverse of ``line``).

    ``[("ensemble_scheduling", None), ("step", 0), ("output_map", "FEATURES")]`` for the line of
    step 0's output_map entry keyed FEATURES. The shallowest field starting on ``line`` wins (a
    map entry rather than its ``key``); on a line where none starts (a closing brace), the
    shallowest field of the last line before it. Empty when nothing comes before ``line``.
    """
    found: list[tuple[int, int, list[Step]]] = []  # (line, -depth, path) in document order

    def walk(node: _Node, path: list[Step]) -> None:
        seen: dict[str, int] = {}
        for child in node.children:
            index = seen.get(child.name, 0)
            seen[child.name] = index + 1
            keys = sorted(_keys(child))
            repeated = len(node.named(child.name)) > 1 or child.name in _REPEATED
            step: Step = (child.name, keys[0] if keys else (index if repeated else None))
            here = [*path, step]
            found.append((child.line, -len(here), here))
            walk(child, here)

    walk(ConfigLines(text).root, [])
    starts = [f[0] for f in found if f[0] <= line]
    if not starts:
        return []
    at = [f for f in found if f[0] == max(starts)]
    return max(at, key=lambda f: f[1])[2]
