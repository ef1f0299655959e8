"""Generated documentation: one entry point writes (or checks) every generated page.

::

    python -m tritonops.docs_gen            # rewrite the pages below from the code
    python -m tritonops.docs_gen --check    # exit 1 naming each page that is out of date

The pages are made from the code they describe (the project file's pydantic models, the click
commands), so a change to a field or an option is a change to its documentation; the test suite
runs the check, and its failure names the command above.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tritonops.docs_gen.cli_reference import cli_page
from tritonops.docs_gen.project_file import project_file_page
from tritonops.spec.schema import SCHEMA_PATH, schema_text

REGENERATE = "python -m tritonops.docs_gen"

# path relative to the repository root -> the function that makes its text
PAGES: dict[str, Callable[[], str]] = {
    SCHEMA_PATH: schema_text,
    "docs/reference/project-file.md": project_file_page,
    "docs/reference/cli.md": cli_page,
}


def generate() -> dict[str, str]:
    """Every generated page's text, by path."""
    return {path: make() for path, make in PAGES.items()}


def write(root: Path) -> list[Path]:
    """Write every page under ``root``; returns the files that changed."""
    changed = []
    for relative, text in generate().items():
        path = root / relative
        if _read(path) != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale(root: Path) -> list[str]:
    """Pages under ``root`` whose text differs from what the code makes now."""
    return [rel for rel, text in generate().items() if _read(root / rel) != text]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
