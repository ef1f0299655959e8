"""The files a factory really runs: its module and, transitively, the project modules it imports.

A factory's artifact depends on the code it executes, not on its whole package: a comment in a
sibling module must not retrain a classifier. The closure is found statically (``ast``), without
importing anything, so a fingerprint stays cheap. Only modules that live under the project folder
count; installed packages are covered by the tool versions a builder records.

Resolution follows Python's import system (docs.python.org/3/reference/import.html): importing
``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` before ``a/b/c.py``; ``from . import x``
is relative to the importing module's package; ``from pkg import name`` may name a submodule.
Imports inside functions or ``if`` blocks are included too (they may run), which errs toward
rebuilding rather than serving a stale artifact.
"""

from __future__ import annotations

import ast
from pathlib import Path


def _module_file(root: Path, module: str) -> Path | None:
    relative = Path(*module.split("."))
    for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(root: Path, module: str) -> list[Path]:
    """The module's file and every package ``__init__.py`` that importing it runs."""
    parts = module.split(".")
    found = [_module_file(root, ".".join(parts[: i + 1])) for i in range(len(parts))]
    return [f for f in found if f is not None]


def _package_of(root: Path, file: Path) -> list[str]:
    """The package a module file belongs to (for ``pkg/__init__.py`` that is ``pkg`` itself)."""
    return list(file.relative_to(root).with_suffix("").parts[:-1])


def _imported(root: Path, file: Path) -> list[str]:
    """Dotted names of the modules ``file`` may import (candidates; missing ones drop out)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except (OSError, SyntaxError, ValueError):
        return []  # the build itself reports an unreadable module, with its line
    package = _package_of(root, file)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                keep = len(package) - (node.level - 1)
                if keep < 0:
                    continue
                base = package[:keep]
            else:
                base = []
            head = [*base, *(node.module.split(".") if node.module else [])]
            if head:
                names.append(".".join(head))
            # `from pkg import sub` imports the submodule pkg.sub when there is one
            names.extend(".".join([*head, alias.name]) for alias in node.names if alias.name != "*")
    return names


def import_closure(root: Path, module: str) -> list[Path]:
    """Every file under ``root`` that importing ``module`` (from ``root``) may execute, sorted."""
    root = root.resolve()
    seen: set[Path] = set()
    todo = [f.resolve() for f in _with_parents(root, module)]
    while todo:
        file = todo.pop()
        if file in seen or not file.is_relative_to(root):
            continue
        seen.add(file)
        for name in _imported(root, file):
            todo.extend(f.resolve() for f in _with_parents(root, name) if f.resolve() not in seen)
    return sorted(seen)
