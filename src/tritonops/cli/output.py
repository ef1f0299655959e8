"""Terminal output: rich on a terminal, plain text when piped or in CI.

A command makes ONE console and hands it to ``progress``: the live bar and every message of the
command then share it, so rich prints each message above the bar instead of after its last frame
(two consoles writing to one terminal leave lines like ``build ━━━━ 0/3 0:00:00  scale: built``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console


def interactive(stderr: bool = False) -> bool:
    """Progress bars and colour only for a person at a terminal, never in CI."""
    stream = sys.stderr if stderr else sys.stdout
    return stream.isatty() and not os.environ.get("CI")


def console(stderr: bool = False) -> Console:
    """The console of one command. ``stderr=True`` for commands whose stdout is data (JSON)."""
    tty = interactive(stderr)
    return Console(
        stderr=stderr,
        highlight=False,
        markup=False,  # messages are plain text: "[search] c=4" or a path with [] stays as is
        soft_wrap=True,
        no_color=not tty,
        force_terminal=tty,
    )


def report_location(paths: Mapping[str, Path] | Path | None, hint: str = "") -> str:
    """The last line of a long command: where its report is, or how to get one written."""
    if paths is None:
        return f"report: none written ({hint})"
    if isinstance(paths, Path):
        return f"report: {paths}"
    folders = {path.parent for path in paths.values()}
    where = folders.pop() if len(folders) == 1 else ", ".join(str(p) for p in paths.values())
    return f"report: {where} ({', '.join(path.name for path in paths.values())})"
