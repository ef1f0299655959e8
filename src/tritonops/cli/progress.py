"""Progress for long work: a live bar on a terminal; quiet in CI, when piped, or with --quiet."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tritonops.cli.output import console, interactive


@contextmanager
def progress(
    title: str, total: int | None, *, quiet: bool = False
) -> Iterator[Callable[[str, bool], None]]:
    """Yield ``step(description, advance)``; a bar on a TTY, silence when quiet or piped."""
    if quiet or not interactive():
        yield lambda _description, _advance: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(title, total=total)

        def step(description: str, advance: bool) -> None:
            bar.update(task, description=f"{title}: {description}", advance=1 if advance else 0)

        yield step
