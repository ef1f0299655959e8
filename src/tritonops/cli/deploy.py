"""``tritonops deploy``: models onto the embedded Triton, a remote Triton, or Kubernetes."""

from __future__ import annotations

import time
from pathlib import Path

import click

from tritonops.cli.output import console
from tritonops.deploy.local import deploy_local
from tritonops.errors import DeployError
from tritonops.repository.validate.report import LoadResult

PROJECT = click.option(
    "-f",
    "--file",
    "project_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("tritonops.yaml"),
    show_default=True,
    help="The project file.",
)


def _row(result: LoadResult) -> str:
    latency = f"{result.latency_ms:8.1f} ms" if result.latency_ms is not None else " " * 11
    line = f"  {result.model:<28} {result.version or '-':>7}  {result.state:<8} {latency}"
    return f"{line}  {result.detail}" if result.detail and not result.passed else line


@click.command("deploy")
@PROJECT
@click.option(
    "--target",
    type=click.Choice(["local"]),
    default="local",
    show_default=True,
    help="Where to deploy.",
)
@click.option("--http-port", type=int, default=None, help="local: HTTP port (default: free).")
@click.option("--grpc-port", type=int, default=None, help="local: gRPC port (default: free).")
@click.option("--metrics-port", type=int, default=None, help="local: metrics port.")
@click.option(
    "--no-serve",
    is_flag=True,
    help="local: stop the server after the smoke inferences instead of serving until Ctrl-C.",
)
def deploy_command(
    project_file: Path,
    target: str,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    no_serve: bool,
) -> None:
    """Deploy every model of the project and smoke each one.

    \b
    local (the default): render the repository, start the embedded Triton, load
    every model, run one smoke inference per model, print model / version /
    state / latency, then serve until Ctrl-C (--no-serve stops at once).

    \b
    Examples:
      tritonops deploy
      tritonops deploy --no-serve            # CI: deploy, smoke, stop
    """
    out = console()
    out.print(f"  {'model':<28} {'version':>7}  {'state':<8} {'smoke':>11}")
    with deploy_local(
        project_file,
        http_port=http_port,
        grpc_port=grpc_port,
        metrics_port=metrics_port,
        on_result=lambda r: out.print(_row(r)),
    ) as deployment:
        server = deployment.server
        out.print(
            f"HTTP http://{server.http_url}  gRPC {server.grpc_url}  metrics {server.metrics_url}"
        )
        if not deployment.ok:
            failed = [r.model for r in deployment.results if not r.passed]
            raise DeployError(f"{len(failed)} model(s) failed: {', '.join(failed)}")
        if no_serve:
            return
        out.print("serving; press Ctrl-C to stop")
        try:
            while server.is_running():
                time.sleep(0.5)
        except KeyboardInterrupt:
            return
        raise DeployError(
            "tritonserver stopped on its own:\n" + server.log_tail(problems_only=True)
        )
