"""``tritonops deploy``: models onto the embedded Triton, a remote Triton, or Kubernetes."""

from __future__ import annotations

from pathlib import Path

import click

from tritonops.builders.stored import render_project
from tritonops.cli import options
from tritonops.cli.output import console
from tritonops.deploy.kubernetes import render_manifests
from tritonops.deploy.local import deploy_local, triton_listening
from tritonops.deploy.remote import deploy_remote
from tritonops.errors import DeployError
from tritonops.headers import header_problem
from tritonops.repository.validate.report import LoadResult
from tritonops.server import endpoint_record
from tritonops.server.serve import sigterm_stops, wait_while_serving
from tritonops.spec import RemoteTarget, load_project

PROJECT = options.project_file()


def _row(result: LoadResult) -> str:
    latency = f"{result.latency_ms:8.1f} ms" if result.latency_ms is not None else " " * 11
    line = f"  {result.model:<28} {result.version or '-':>7}  {result.state:<8} {latency}"
    return f"{line}  {result.detail}" if result.detail and not result.passed else line


@click.command("deploy")
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
@click.option("--url", default=None, help="remote: host:port of a Triton in explicit mode.")
@click.option(
    "--protocol", type=click.Choice(["http", "grpc"]), default=None, help="remote: wire protocol."
)
@click.option("--ssl", is_flag=True, default=None, help="remote: use TLS.")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME=VALUE",
    help="remote: a header sent on every call (e.g. an auth token); never printed or recorded.",
)
@click.option("--model", "models", multiple=True, help="remote: deploy only these models.")
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
def deploy_command(
    project_file: Path,
    target: str,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    no_serve: bool,
    url: str | None,
    protocol: str | None,
    ssl: bool | None,
    headers: tuple[str, ...],
    models: tuple[str, ...],
    out: Path | None,
    kubernetes_version: str | None,
    dry_run: bool,
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
    kubernetes: render manifests (Deployment, Service, autoscaler, monitor, SLO
    alert rules, Grafana dashboard; optionally a KServe InferenceService) and
    validate them offline.

    \b
    Examples:
      tritonops deploy
      tritonops deploy --no-serve            # CI: deploy, smoke, stop
      tritonops deploy --target remote --url triton.internal:8000 --dry-run
      tritonops deploy --target remote --url triton:8001 --protocol grpc \\
                       --header "Authorization=Bearer $TOKEN"
      tritonops deploy --target kubernetes --out deploy/k8s
    """
    if target == "remote":
        _remote(project_file, url, protocol, ssl, headers, models, dry_run)
        return
    if target == "kubernetes":
        _kubernetes(project_file, out, kubernetes_version)
        return
    _local(project_file, http_port, grpc_port, metrics_port, no_serve)


def _local(
    project_file: Path,
    http_port: int | None,
    grpc_port: int | None,
    metrics_port: int | None,
    no_serve: bool,
) -> None:
    out = console()
    local = load_project(project_file).targets.local
    port = http_port or (local.http_port if local else None)
    if port is not None and triton_listening(port):
        # a Triton (e.g. `tritonops serve`) already holds the port: deploy into it instead
        out.print(f"reusing the Triton on 127.0.0.1:{port} (its repository API)")
        _remote(project_file, f"127.0.0.1:{port}", "http", False, (), (), False)
        return
    out.print(f"  {'model':<28} {'version':>7}  {'state':<8} {'smoke':>11}")
    # the same loop as `tritonops serve`: Ctrl-C or SIGTERM, even while models load, stops
    # tritonserver before this process exits
    with sigterm_stops():
        try:
            with deploy_local(
                project_file,
                http_port=http_port,
                grpc_port=grpc_port,
                metrics_port=metrics_port,
                on_result=lambda r: out.print(_row(r)),
            ) as deployment:
                server = deployment.server
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


def _parse_headers(pairs: tuple[str, ...]) -> dict[str, str]:
    headers = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(
                f"expected NAME=VALUE, got {name.strip()!r}=…", param_hint="--header"
            )
        problem = header_problem(name.strip(), value)
        if problem is not None:
            raise click.BadParameter(problem, param_hint="--header")
        headers[name.strip()] = value
    return headers


def _remote(
    project_file: Path,
    url: str | None,
    protocol: str | None,
    ssl: bool | None,
    headers: tuple[str, ...],
    models: tuple[str, ...],
    dry_run: bool,
) -> None:
    out = console()
    project = load_project(project_file)
    target = project.targets.remote
    if url is None and target is None:
        raise DeployError(
            "no remote to deploy to — pass --url HOST:PORT or set targets.remote.url in "
            f"{project_file}"
        )
    options = RemoteTarget(
        url=url or (target.url if target else ""),
        protocol=protocol or (target.protocol if target else "http"),
        ssl=ssl if ssl is not None else (target.ssl if target else False),
        headers={**(target.headers if target else {}), **_parse_headers(headers)},
    )
    rendered = render_project(project_file)
    result = deploy_remote(
        rendered.repository,
        options,
        models=list(models) or None,
        dry_run=dry_run,
        on_step=lambda model, message: out.print(f"  {model}: {message}"),
        project_root=project.root,
    )
    out.print(result.plan.describe() if dry_run else result.describe())


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
