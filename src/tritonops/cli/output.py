"""Terminal output: rich on a terminal, plain text when piped or in CI."""

from __future__ import annotations

import os
import sys

from rich.console import Console


def interactive() -> bool:
    """Progress bars and colour only for a person at a terminal, never in CI."""
    return sys.stdout.isatty() and not os.environ.get("CI")


def console(stderr: bool = False) -> Console:
    return Console(
        stderr=stderr,
        highlight=False,
        soft_wrap=True,
        no_color=not interactive(),
        force_terminal=interactive(),
    )
