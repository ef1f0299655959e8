"""Options several commands share, declared once so their names, defaults and help agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def project_file(help: str = "The project file.") -> Callable[[F], F]:
    """``-f/--file``: the project file, ``tritonops.yaml`` in the current folder by default."""
    return click.option(
        "-f",
        "--file",
        "project_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=Path("tritonops.yaml"),
        show_default=True,
        help=help,
    )


def quiet() -> Callable[[F], F]:
    """``-q/--quiet``: no progress bar and no per-item lines; the summary and the report's
    location still print. Without a terminal on stdout (CI, a pipe) there is no bar anyway."""
    return click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No progress bar or per-item lines; only the summary and where the report is.",
    )
