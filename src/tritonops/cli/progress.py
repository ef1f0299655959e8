"""Progress for long work: a live bar on a terminal; silent in CI, when piped, or with --quiet.

The bar draws on the command's own console (``tritonops.cli.output.console``), and messages
printed while it runs go through ``Feedback.say`` on that same console, so rich lifts them above
the bar; a bar frame never stays on screen glued to a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Feedback:
    """What a long command tells the person watching: bar steps and per-item messages.

    ``quiet`` drops both (the command still prints its summary and where its report is).
    """

    def __init__(self, out: Console, title: str, bar: Progress | None, task: TaskID | None,
                 quiet: bool) -> None:  # fmt: skip
        self.out = out
        self.quiet = quiet
        self._title = title
        self._bar = bar
        self._task = task

    def step(self, description: str, advance: bool = True) -> None:
        """Name what runs now; ``advance`` counts one unit of the total as done."""
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, description=f"{self._title}: {description}", advance=int(advance)
            )

    def advance(self, units: int) -> None:
        """Count ``units`` of the total as done (work measured in windows, not items)."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=units)

    def say(self, message: str) -> None:
        """A message that belongs in the scroll-back (above the bar), unless quiet."""
        if not self.quiet:
            self.out.print(message)


@contextmanager
def progress(
    out: Console, title: str, total: int | None, *, quiet: bool = False
) -> Iterator[Feedback]:
    """A ``Feedback`` whose bar lives on ``out``; no bar when quiet or ``out`` is no terminal."""
    if quiet or not out.is_terminal:
        yield Feedback(out, title, None, None, quiet)
        return
    bar = Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    )
    with bar:
        yield Feedback(out, title, bar, bar.add_task(title, total=total), quiet)
