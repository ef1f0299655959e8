"""``tritonops serve``: a repository on the embedded Triton, in the foreground until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.server import LocalTriton
from tritonops.server.serve import LoadOutcome, serve_forever


@click.command("serve", cls=TritonOpsCommand)
@click.argument(
    "repository",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("model_repository"),
)
@click.option("--http-port", type=int, default=None, help="Default: a free port.")
@click.option("--grpc-port", type=int, default=None, help="Default: a free port.")
@click.option("--metrics-port", type=int, default=None, help="Default: a free port.")
@click.option(
    "--tritonserver",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A tritonserver binary (default: $TRITONSERVER, PATH, then the embedded one).",
)
@click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False), default=None)
def serve_command(
    repository: Path,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    tritonserver: Path | None,
    log_file: Path | None,
) -> None:
    """Serve REPOSITORY (default: model_repository) on the embedded Triton until Ctrl-C.

    \b
    Examples:
      tritonops serve
      tritonops serve model_repository --http-port 8000 --grpc-port 8001
    """
    out = console()

    def ready(server: LocalTriton, outcomes: list[LoadOutcome]) -> None:
        for outcome in outcomes:
            state = "READY" if outcome.loaded else "FAILED"
            out.print(f"  {outcome.model:<32} {state}")
            if not outcome.loaded:
                out.print("    " + outcome.reason.replace("\n", "\n    "))
        out.print(f"HTTP     http://{server.http_url}")
        out.print(f"gRPC     {server.grpc_url}")
        out.print(f"metrics  {server.metrics_url}")
        out.print(f"log      {server.log_file}")
        out.print("serving; press Ctrl-C to stop")

    server = LocalTriton(
        repository,
        http_port=http_port,
        grpc_port=grpc_port,
        metrics_port=metrics_port,
        tritonserver=tritonserver,
        log_file=log_file,
    )
    serve_forever(server, ready)
    out.print("stopped")
