"""``tritonops quickstart``: the main job, from a fresh install to an A/B verdict with a report."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.cli import options
from tritonops.cli.abtest import summary_lines
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.quickstart import run_quickstart


@click.command("quickstart", cls=TritonOpsCommand)
@click.argument(
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("tritonops-quickstart"),
)
@options.requests("A/B requests (default: enough for the minimum).")
@options.concurrency("A/B closed loop: requests in flight.", default=4)
def quickstart_command(directory: Path, requests: int | None, concurrency: int) -> None:
    """Build the digits example, serve it on the embedded Triton, A/B test v1 vs v2.

    \b
    Copies the quickstart project into DIRECTORY (default ./tritonops-quickstart)
    unless it already holds one, then: build (scikit-learn -> ONNX with a parity
    gate) -> validate -> start tritonserver -> load and smoke every model -> run
    experiment digits-v2 (90/10, sticky by user id, v2 shadowed) on held-out
    digits -> print the verdict -> stop the server. The report (JSON, Markdown,
    PNG plots) lands in DIRECTORY/report. Exit code 0 once the job ran through,
    whatever the verdict (gate CI on `tritonops ab-test`, whose exit code is the
    verdict); 1 on error.
    """
    out = console()
    result = run_quickstart(directory, requests=requests, concurrency=concurrency, say=out.print)
    for line in summary_lines(result.experiment):
        out.print(line)
    out.print(
        f"verdict: {result.experiment.decision.upper()} — see {result.report_dir / 'report.md'}"
    )
