"""``tritonops render``: project file → config.pbtxt files in an atomically written repository."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.builders.stored import render_project
from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console


@click.command("render", cls=TritonOpsCommand)
@options.project_file()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Output repository (default: the project's `repository`).",
)
@click.option(
    "--no-validate", is_flag=True, help="Write even if the rendered repository has errors."
)
def render_command(project_file: Path, out: Path | None, no_validate: bool) -> None:
    """Render every model's config.pbtxt and lay out the model repository.

    \b
    The repository is built in a temp dir, validated, then swapped in: an error
    leaves the previous repository untouched.

    \b
    Examples:
      tritonops render
      tritonops render -f examples/quickstart/tritonops.yaml --out /tmp/repo
    """
    result = render_project(project_file, out, validate=not no_validate)
    out_console = console()
    for plan in result.plans:
        versions = ",".join(str(v) for v in plan.versions)
        out_console.print(f"  {plan.name:<32} {plan.kind:<13} versions {versions}")
    warnings = len(result.report.diagnostics) if result.report else 0
    note = f", {warnings} warning(s) — run `tritonops validate`" if warnings else ""
    out_console.print(f"rendered {len(result.plans)} model(s) into {result.repository}{note}")
