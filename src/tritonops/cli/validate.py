"""``tritonops validate``: check any Triton model repository and report every problem at once.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the repository cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.errors import RepositoryError
from tritonops.repository.validate import FORMATS, format_report, validate_repository
from tritonops.repository.validate.report import summary


@click.command("validate")
@click.argument("repo", default="model_repository", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Report format: text lines, JSON, GitHub Actions annotations, or JUnit XML.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to FILE instead of stdout (a one-line summary still prints).",
)
@click.pass_context
def validate_command(ctx: click.Context, repo: Path, fmt: str, output: Path | None) -> None:
    """Validate the model repository REPO (default: model_repository)."""
    try:
        report = validate_repository(repo)
    except RepositoryError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    text = format_report(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(summary(report))
    ctx.exit(0 if report.valid else 1)
