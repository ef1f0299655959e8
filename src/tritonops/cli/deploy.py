"""``tritonops deploy``: models onto the embedded Triton, a remote Triton, or Kubernetes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from tritonops.builders.stored import render_project
from tritonops.cli import options
from tritonops.cli.exits import TritonOpsCommand
from tritonops.cli.output import console
from tritonops.cli.progress import progress
from tritonops.deploy import history
from tritonops.deploy.kubernetes import render_manifests
from tritonops.deploy.local import deploy_local, triton_listening
from tritonops.deploy.remote import deploy_remote
from tritonops.errors import DeployError
from tritonops.repository.validate.report import LoadResult
from tritonops.server import endpoint_record
from tritonops.server.serve import sigterm_stops, wait_while_serving
from tritonops.spec import RemoteTarget, load_project

PROJECT = options.project_file()


def _row(result: LoadResult) -> str:
    latency = f"{result.latency_ms:8.1f} ms" if result.latency_ms is not None else " " * 11
    line = f"  {result.model:<28} {result.version or '-':>7}  {result.state:<8} {latency}"
    return f"{line}  {result.detail}" if result.detail and not result.passed else line


@click.command("deploy", cls=TritonOpsCommand)
@PROJECT
@click.option(
    "--target",
    type=click.Choice(["local", "remote", "kubernetes"]),
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
@options.url("remote: a Triton in explicit model-control mode (default: targets.remote).")
@options.protocol_alias()
@options.deprecated("--ssl", is_flag=True, default=None,
                    new="write https:// or grpcs:// in --url instead")  # fmt: skip
@options.headers("remote: ")
@click.option("--model", "models", type=options.CommaList(click.STRING), multiple=True,
              metavar="NAME[,NAME...]", help="remote: deploy only these models.")  # fmt: skip
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="kubernetes: the folder for the manifests (default: deploy/kubernetes).",
)
@click.option(
    "--kubernetes-version", default=None, help="kubernetes: validate for this version (1.30)."
)
@click.option("--dry-run", is_flag=True, help="remote: print the plan and change nothing.")
@options.quiet()
def deploy_command(
    project_file: Path,
    target: str,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    no_serve: bool,
    url: options.ServerUrl | None,
    protocol: str | None,
    ssl: bool | None,
    headers: tuple[tuple[str, str], ...],
    models: tuple[list[str], ...],
    out: Path | None,
    kubernetes_version: str | None,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Deploy every model of the project and smoke each one.

    \b
    local (the default): render the repository, start the embedded Triton, load
    every model, run one smoke inference per model, print model / version /
    state / latency, then serve until Ctrl-C (--no-serve stops at once).

    \b
    remote: render, then load each changed model into a running Triton through
    its repository API (config and files sent with the request, no shared
    filesystem). A new version is staged and smoke-tested under a scratch name
    before the switch; any failure rolls every changed model back.

    \b
    kubernetes: render manifests (Deployment, Service, autoscaler, monitor,
    optionally a KServe InferenceService) and validate them offline.

    \b
    Examples:
      tritonops deploy
      tritonops deploy --no-serve            # CI: deploy, smoke, stop
      tritonops deploy --target remote --url http://triton.internal:8000 --dry-run
      tritonops deploy --target remote --url triton:8001 \\
                       --header "Authorization=Bearer $TOKEN"
      tritonops deploy --target kubernetes --out deploy/k8s
    """
    if target == "remote":
        server = options.with_protocol(url, protocol)
        if server is not None and ssl:
            server = options.ServerUrl(server.address, server.protocol, True, True)
        problem = options.protocol_mismatch(server) if server is not None else None
        if problem is not None:
            raise DeployError(problem)
        _remote(project_file, server, dict(headers), options.flatten(models), dry_run, quiet)
        return
    if target == "kubernetes":
        _kubernetes(project_file, out, kubernetes_version)
        return
    _local(project_file, http_port, grpc_port, metrics_port, no_serve, quiet)


def _local(
    project_file: Path,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    no_serve: bool,
    quiet: bool,
) -> None:
    out = console()
    local = load_project(project_file).targets.local
    port = http_port or (local.http_port if local else None)
    if port is not None and triton_listening(port):
        # a Triton (e.g. `tritonops serve`) already holds the port: deploy into it instead
        out.print(f"reusing the Triton on 127.0.0.1:{port} (its repository API)")
        here = options.ServerUrl(f"127.0.0.1:{port}", "http", explicit=True)
        _remote(project_file, here, {}, (), False, quiet)
        return
    root = project_file.resolve().parent
    # the same loop as `tritonops serve`: Ctrl-C or SIGTERM, even while models load, stops
    # tritonserver before this process exits
    with sigterm_stops():
        try:
            with contextlib.ExitStack() as serving:
                with progress(out, "deploy", None, quiet=quiet) as feedback:
                    feedback.step("starting tritonserver", advance=False)
                    feedback.say(f"  {'model':<28} {'version':>7}  {'state':<8} {'smoke':>11}")

                    def on_result(result: LoadResult) -> None:
                        feedback.step(f"{result.model} {result.state}")
                        if quiet and not result.passed:  # a failure shows even when quiet
                            out.print(_row(result))
                        feedback.say(_row(result))

                    deployment = serving.enter_context(
                        deploy_local(
                            project_file,
                            http_port=http_port,
                            grpc_port=grpc_port,
                            metrics_port=metrics_port,
                            on_result=on_result,
                        )
                    )
                server = deployment.server
                out.print(f"deploy record: {history.history_path(root)} (tritonops history)")
                out.print(
                    f"HTTP http://{server.http_url}  gRPC {server.grpc_url}  "
                    f"metrics {server.metrics_url}"
                )
                if not deployment.ok:
                    failed = [r.model for r in deployment.results if not r.passed]
                    raise DeployError(f"{len(failed)} model(s) failed: {', '.join(failed)}")
                if no_serve:
                    return
                out.print("serving; press Ctrl-C to stop")
                with endpoint_record.recorded(server.options.repository, server):
                    wait_while_serving(server)
        except KeyboardInterrupt:
            pass
    out.print("stopped")


def _remote(
    project_file: Path,
    server: options.ServerUrl | None,
    headers: dict[str, str],
    models: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
) -> None:
    out = console()
    project = load_project(project_file)
    target = project.targets.remote
    if server is None and target is None:
        raise DeployError(
            "no remote to deploy to — pass --url HOST:PORT (gRPC) or http://HOST:PORT, or set "
            f"targets.remote.url in {project_file}"
        )
    remote = RemoteTarget(
        url=server.address if server else target.url if target else "",
        protocol=server.protocol if server else target.protocol if target else "http",
        ssl=server.tls if server else target.ssl if target else False,
        headers={**(target.headers if target else {}), **headers},
    )
    with progress(out, "deploy", None, quiet=quiet) as feedback:
        feedback.step("rendering", advance=False)
        rendered = render_project(project_file)

        def on_step(model: str, message: str) -> None:
            feedback.step(f"{model}: {message}", advance=False)
            feedback.say(f"  {model}: {message}")

        result = deploy_remote(
            rendered.repository,
            remote,
            models=list(models) or None,
            dry_run=dry_run,
            on_step=on_step,
            project_root=project.root,
        )
    out.print(result.plan.describe() if dry_run else result.describe())
    if not dry_run:
        out.print(f"deploy record: {history.history_path(project.root)} (tritonops history)")


def _kubernetes(project_file: Path, out_dir: Path | None, kubernetes_version: str | None) -> None:
    out = console()
    project = load_project(project_file)
    folder = out_dir or project.root / "deploy" / "kubernetes"
    result = render_manifests(
        project, folder, kubernetes_version=kubernetes_version, project_root=project.root
    )
    out.print(
        f"{len(result.files)} manifest(s) for Kubernetes {result.kubernetes_version} in "
        f"{result.out} (namespace {result.namespace}):"
    )
    for manifest in result.files:
        out.print(f"  {manifest.path.name:<40} {manifest.kind:<24} {manifest.checked}")
    for manifest in result.files:
        if manifest.comment:
            out.print(f"{manifest.path.name}:")
            for line in manifest.comment:
                out.print(f"    {line}")
