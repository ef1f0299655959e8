"""YAML text → plain data plus the line and column of every node, addressed by its path.

PyYAML's ``safe_load`` forgets where things were; composing the node tree first keeps a mark for
every node, so a problem found later (by pydantic or a cross-field check) can name its line. The
node tree also shows what ``safe_load`` hides: a mapping that repeats a key (PyYAML keeps the last
one silently) and aliases that refer to themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

# deeper than any real project file; the constructors recurse and must stay clear of the limit
MAX_DEPTH = 64
# aliases can expand a small text into an exponential tree ("billion laughs"); stop well before
MAX_NODES = 200_000

# One step of a path: a mapping key (usually a str) or a list index.
Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in the project file."""

    line: int
    column: int


@dataclass
class Marks:
    """Where each node sits: ``values`` for the node at a path, ``keys`` for the key naming it."""

    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def locate(self, loc: Loc, *, key: bool = False) -> Position:
        """The position of ``loc``, or of its nearest ancestor that has one (the root at worst)."""
        if key and loc in self.keys:
            return self.keys[loc]
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.values:
                return self.values[prefix]
        return Position(1, 1)


@dataclass(frozen=True)
class YamlProblem:
    """A problem found while reading YAML, before any schema is applied."""

    loc: Loc
    position: Position
    message: str
    fix: str = ""


@dataclass
class YamlDocument:
    """The outcome of reading one YAML text: ``data`` is None when it could not be built."""

    data: Any
    marks: Marks
    problems: list[YamlProblem]


def _position(mark: yaml.Mark | None) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark is not None else Position(1, 1)


def _position_at(text: str, index: int) -> Position:
    """The position of character ``index`` in ``text`` (for errors that only give an offset)."""
    before = text[:index]
    line = before.count("\n") + 1
    return Position(line, index - (before.rfind("\n") + 1) + 1)


class _Walker:
    """Records marks and finds duplicate keys and alias loops in a composed node tree."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.marks = Marks()
        self.problems: list[YamlProblem] = []
        self._active: set[int] = set()
        # a loop or an unreadable scalar leaves nothing sensible to construct
        self.fatal = False
        self._visits = 0

    def walk(self, node: yaml.Node, loc: Loc) -> None:
        self._visits += 1
        if self._visits > MAX_NODES:
            if not self.fatal:
                self.problems.append(
                    YamlProblem(
                        loc,
                        _position(node.start_mark),
                        f"aliases expand this file to more than {MAX_NODES} values",
                        "write the repeated parts out, or repeat fewer of them",
                    )
                )
            self.fatal = True
            return
        if len(loc) > MAX_DEPTH:
            self.problems.append(
                YamlProblem(
                    loc,
                    _position(node.start_mark),
                    f"the YAML nests more than {MAX_DEPTH} levels deep here",
                    "flatten it; no project setting needs this depth",
                )
            )
            self.fatal = True
            return
        if id(node) in self._active:
            self.problems.append(
                YamlProblem(
                    loc,
                    _position(node.start_mark),
                    "this alias refers to the node that contains it (an endless loop)",
                    "point the alias at a node outside its own anchor",
                )
            )
            self.fatal = True
            return
        self.marks.values.setdefault(loc, _position(node.start_mark))
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                self._walk_mapping(node, loc)
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    self.walk(item, (*loc, index))
            else:
                self._check_scalar(node, loc)
        finally:
            self._active.discard(id(node))

    def _walk_mapping(self, node: yaml.MappingNode, loc: Loc) -> None:
        seen: dict[Any, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # merged-in keys have no place of their own here; they fall back to this mapping
                self.walk(value_node, (*loc, "<<"))
                continue
            key = self._key(key_node)
            where = _position(key_node.start_mark)
            if key is _UNHASHABLE:
                continue  # the constructor reports it with its mark
            if key in seen:
                first = seen[key]
                self.problems.append(
                    YamlProblem(
                        (*loc, key),
                        where,
                        f"duplicate key {key!r} (first at line {first.line}); YAML keeps only"
                        " the last one",
                        "remove or merge one of them",
                    )
                )
            seen[key] = where
            self.marks.keys[(*loc, key)] = where
            self.marks.values[(*loc, key)] = _position(value_node.start_mark)
            self.walk(value_node, (*loc, key))

    def _check_scalar(self, node: yaml.Node, loc: Loc) -> None:
        try:
            self.loader.construct_object(node)
        except yaml.MarkedYAMLError as exc:
            # an unknown tag (``!!python/object``): a failed node cannot be constructed again
            self.problems.append(_syntax_problem(exc, _position(exc.problem_mark)))
            self.fatal = True
        except (ValueError, TypeError, OverflowError) as exc:
            # e.g. ``2024-13-01`` looks like a date to YAML and fails to construct
            self.problems.append(
                YamlProblem(
                    loc,
                    _position(node.start_mark),
                    f"this value cannot be read: {exc}",
                    "put it in quotes if it is meant as text",
                )
            )
            self.fatal = True

    def _key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return _UNHASHABLE
        try:
            key = self.loader.construct_object(node, deep=True)
            hash(key)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            return _UNHASHABLE
        return key


_UNHASHABLE = object()


def read_yaml(text: str) -> YamlDocument:
    """Compose, check and construct one YAML document; never raises for bad input."""
    marks = Marks()
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        return YamlDocument(None, marks, [_reader_problem(text, exc)])
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            return YamlDocument(None, marks, [_syntax_problem(exc, _position(mark))])
        except yaml.reader.ReaderError as exc:
            return YamlDocument(None, marks, [_reader_problem(text, exc)])
        except RecursionError:
            message = f"the YAML nests too deeply to read (over {MAX_DEPTH} levels)"
            return YamlDocument(None, marks, [YamlProblem((), Position(1, 1), message)])
        except yaml.YAMLError as exc:
            return YamlDocument(None, marks, [YamlProblem((), Position(1, 1), str(exc))])
        if node is None:
            return YamlDocument(None, marks, [])
        walker = _Walker(loader)
        walker.walk(node, ())
        if walker.fatal:
            return YamlDocument(None, walker.marks, walker.problems)
        try:
            data = loader.construct_document(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            walker.problems.append(_syntax_problem(exc, _position(mark)))
            return YamlDocument(None, walker.marks, walker.problems)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            walker.problems.append(
                YamlProblem((), _position(node.start_mark), f"this YAML cannot be read: {exc}")
            )
            return YamlDocument(None, walker.marks, walker.problems)
        return YamlDocument(data, walker.marks, walker.problems)
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, where: Position) -> YamlProblem:
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "YAML syntax error: " + ("; ".join(parts) if parts else "cannot parse")
    return YamlProblem((), where, message, "fix the YAML at this position")


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> YamlProblem:
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return YamlProblem(
        (),
        _position_at(text, exc.position),
        f"character {character!r} is not allowed in YAML",
        "remove it (control characters must be escaped inside double quotes)",
    )
