"""Which server an experiment talks to: the ``--url`` given (checked to speak the protocol asked
for), else the embedded server ``tritonops serve`` recorded for the project's repository, else
Triton's default gRPC port when something answers there; otherwise an error naming the flag."""

from __future__ import annotations

from pathlib import Path

from tritonops.errors import ExperimentError
from tritonops.server import endpoint_record
from tritonops.triton.probe import probe

DEFAULT_GRPC = "127.0.0.1:8001"  # Triton's default gRPC port (tritonserver --grpc-port)


def _served(project_file: Path) -> endpoint_record.ServedEndpoint | None:
    try:
        from tritonops.spec import load_project

        repository = load_project(project_file).repository
    except Exception:  # no or a broken project file: there is no record to find either
        return None
    return endpoint_record.read(repository)


def resolve_url(url: str | None, protocol: str, project_file: Path) -> tuple[str, str]:
    """``(host:port, protocol)`` to run against, or ``ExperimentError`` saying what to pass."""
    served = _served(project_file)
    if url is not None and url.startswith(("http://", "grpc://")):
        scheme, _, url = url.partition("://")
        protocol = "http" if scheme == "http" else "grpc"
    if url is None:
        if served is not None:
            return (served.grpc if protocol == "grpc" else served.http), protocol
        if protocol == "grpc" and probe(DEFAULT_GRPC, timeout_s=1.0) == "grpc":
            return DEFAULT_GRPC, protocol
        raise ExperimentError(
            f"no server is recorded as serving this project's repository ({project_file}) and "
            f"no gRPC server answers at {DEFAULT_GRPC} — start one with `tritonops serve`, or "
            "pass --url HOST:PORT (its gRPC port) or --url http://HOST:PORT (its HTTP port)"
        )
    answer = probe(url)
    if answer == protocol or answer == "unknown":
        return url, protocol
    if answer == "closed":
        known = (
            f"; this project is served at --url {served.grpc} (gRPC) / --url http://{served.http}"
            if served
            else " — start one with `tritonops serve`"
        )
        raise ExperimentError(f"nothing listens at {url}{known}")
    other = "gRPC" if protocol == "grpc" else "HTTP"
    if answer == "http":
        fix = "write http:// before it to use HTTP, or give the gRPC port"
        port = served.grpc if served else "HOST:PORT"
    else:
        fix = "drop http:// to use gRPC, or give the HTTP port"
        port = f"http://{served.http}" if served else "http://HOST:PORT"
    name = "HTTP" if answer == "http" else "gRPC"
    raise ExperimentError(
        f"{url} is Triton's {name} port, not its {other} port — {fix}: --url {port}"
    )
