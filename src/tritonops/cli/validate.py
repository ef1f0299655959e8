"""``tritonops validate``: check any Triton model repository and report every problem at once.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 the repository cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.atomic import REPOSITORY_MARKER, recover_directory
from tritonops.cli import options
from tritonops.cli.exits import ExitCode, TritonOpsCommand, leave
from tritonops.cli.output import console
from tritonops.cli.progress import progress
from tritonops.deploy.loadcheck import validate_with_load
from tritonops.errors import RepositoryError
from tritonops.repository.validate import FORMATS, format_report, validate_repository
from tritonops.repository.validate.report import summary


@click.command(
    "validate", cls=TritonOpsCommand, error_codes={RepositoryError: ExitCode.UNUSABLE_INPUT}
)
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
@click.option(
    "--load",
    is_flag=True,
    help="Also load every model in an embedded tritonserver and run one smoke inference each; "
    "the server's verdict is reported beside the static findings and decides the exit status. "
    "On a host without a GPU, KIND_GPU instance groups load as KIND_CPU (reported as not "
    "checked here).",
)
@click.option(
    "--tritonserver",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --load: the tritonserver to use (default: $TRITONSERVER, PATH, the embedded one).",
)
@click.option(
    "--triton-version",
    default=None,
    metavar="YY.MM",
    help="Triton release the repository must load in (default: the newest known); config "
    "fields newer than it are errors naming the release that added them.",
)
@click.option(
    "--disable-auto-complete-config",
    "no_auto_complete",
    is_flag=True,
    help="Validate for a server started with --disable-auto-complete-config (or "
    "--strict-model-config): every config.pbtxt must exist and be complete as written.",
)
@options.quiet()
def validate_command(
    repo: Path,
    fmt: str,
    output: Path | None,
    load: bool,
    tritonserver: Path | None,
    triton_version: str | None,
    no_auto_complete: bool,
    quiet: bool,
) -> None:
    """Validate the model repository REPO (default: model_repository).

    \b
    Exit status: 0 no errors (warnings allowed), 1 errors found, 2 REPO cannot be read.

    \b
    Examples:
      tritonops validate model_repository
      tritonops validate model_repository --format junit -o validate.xml
      tritonops validate model_repository --load      # the CI gate: a real server's verdict
      tritonops validate model_repository --triton-version 24.09
    """
    recover_directory(repo, REPOSITORY_MARKER)  # a render killed mid-swap is finished first
    if load:
        # stdout carries the report (maybe JSON): the bar and its lines go to stderr
        status = console(stderr=True)
        with progress(status, "validate --load", None, quiet=quiet) as feedback:
            feedback.step("starting tritonserver", advance=False)
            report = validate_with_load(
                repo,
                tritonserver=tritonserver,
                triton_version=triton_version,
                on_result=lambda result: feedback.step(f"{result.model} {result.state}"),
            )
    else:
        report = validate_repository(
            repo, triton_version=triton_version, auto_complete=not no_auto_complete
        )
    text = format_report(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(summary(report))
        click.echo(f"report: {output}")
    leave(ExitCode.OK if report.valid else ExitCode.ERROR)
