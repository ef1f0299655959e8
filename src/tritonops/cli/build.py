"""``tritonops build``: build what changed, then render and validate the repository."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.builders.run import build_project
from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.cli.progress import progress
from tritonops.spec import load_project


@click.command("build", cls=TritonOpsCommand)
@options.project_file()
@click.option("--only", type=options.CommaList(click.STRING), multiple=True,
              metavar="NAME[,NAME...]", help="Build only these models.")  # fmt: skip
@click.option("--force", is_flag=True, help="Rebuild even what is up to date.")
@click.option("--dry-run", is_flag=True, help="Print the exact build steps; build nothing.")
@click.option("--jobs", "-j", type=int, default=1, show_default=True, help="Models built at once.")
@options.quiet()
def build_command(
    project_file: Path,
    only: tuple[list[str], ...],
    force: bool,
    dry_run: bool,
    jobs: int,
    quiet: bool,
) -> None:
    """Build every model from its source, then render and validate the repository.

    \b
    A content hash of sources, options and tool versions decides what to rebuild;
    an unchanged project does no work. Each built version gets a lineage record
    (see `tritonops history MODEL`). A failed or interrupted build leaves the
    previous artifacts and repository untouched.

    \b
    Examples:
      tritonops build
      tritonops build --only classifier --force
      tritonops build -f examples/llm/tritonops.yaml --dry-run
    """
    out = console()
    total = len(load_project(project_file).models) or None
    with progress(out, "build", total, quiet=quiet) as feedback:

        def event(model: str, what: str) -> None:
            finished = what in ("built", "up to date")
            feedback.step(f"{model} {what}", finished and model != "repository")
            if dry_run:  # the plan is the output, quiet or not
                out.print(f"  {model}: {what}")
            elif finished or model == "repository":
                feedback.say(f"  {model}: {what}")

        result = build_project(
            project_file,
            only=options.flatten(only),
            force=force,
            dry_run=dry_run,
            jobs=jobs,
            on_event=event,
        )
    for note in result.notes:
        out.print(note)
    built = result.built
    summary = f"{len(built)} built" if built else "nothing to build"
    out.print(f"{summary}; repository {result.repository_state}: {result.repository}")
