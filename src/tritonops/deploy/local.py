"""Deploy to the embedded Triton: render, start the server, load and smoke every model.

The server keeps running for as long as the caller holds the context; ``tritonops deploy`` then
serves in the foreground until Ctrl-C (or stops at once with ``--no-serve``, as CI wants).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tritonops.builders.stored import render_project
from tritonops.deploy import history
from tritonops.deploy.check import load_and_smoke, repository_models
from tritonops.repository.validate.report import LoadResult
from tritonops.server import LocalTriton
from tritonops.spec import LocalTarget, load_project
from tritonops.triton import rest


@dataclass(frozen=True)
class LocalDeployment:
    """A running embedded server and how each model did on it."""

    server: LocalTriton
    repository: Path
    results: tuple[LoadResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)


def triton_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a Triton answers on ``port`` (so a deploy can reuse it rather than start one)."""
    return rest.live(f"{host}:{port}")


@contextmanager
def deploy_local(
    project_file: Path,
    *,
    http_port: int | None = None,
    grpc_port: int | None = None,
    metrics_port: int | None = None,
    tritonserver: Path | None = None,
    on_result: Callable[[LoadResult], None] | None = None,
) -> Iterator[LocalDeployment]:
    """Render the project, serve it on the embedded Triton, load and smoke each model."""
    project = load_project(project_file)
    local = project.targets.local or LocalTarget()
    rendered = render_project(project_file)
    named_binary = tritonserver or (
        project.resolve(local.tritonserver) if local.tritonserver else None
    )
    server = LocalTriton(
        rendered.repository,
        http_port=http_port or local.http_port,
        grpc_port=grpc_port or local.grpc_port,
        metrics_port=metrics_port or local.metrics_port,
        tritonserver=named_binary,
    )
    with server:
        results = tuple(load_and_smoke(server, repository_models(rendered.repository), on_result))
        deployment = LocalDeployment(server, rendered.repository, results)
        history.append(
            project.root,
            history.DeployRecord(
                target="local",
                outcome="success" if deployment.ok else "failed",
                models=history.models_of(rendered.repository),
                endpoint=server.http_url,
                detail="; ".join(str(r) for r in results if not r.passed),
            ),
        )
        yield deployment
