"""Only tritonops.triton talks to a Triton server: nothing else imports the modules that do.

What counts as talking: tritonclient's HTTP and gRPC clients and its utils (the dtype map and
tensor serialization live in the boundary), grpc itself (channels, stubs, call errors),
urllib.request / urllib.error, http.client, raw sockets, geventhttpclient and aiohttp. Not
talking: ``tritonclient.grpc.model_config_pb2``, the config schema that repository,
model_config and ensembles parse config.pbtxt with.

Allowed elsewhere, with the reason:
- ``tritonops.monitoring.query`` queries Prometheus's HTTP API, not Triton; a Triton helper
  would be the wrong home for it.
- ``tritonops.server.ports`` binds loopback sockets to find free ports; it speaks to no server.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tritonops

_FORBIDDEN = (
    "tritonclient.http",
    "tritonclient.grpc",
    "tritonclient.utils",
    "urllib.request",
    "urllib.error",
    "http.client",
    "socket",
    "geventhttpclient",
    "aiohttp",
    "grpc",
)
_SCHEMA = "tritonclient.grpc.model_config_pb2"
_ALLOWED = {
    "monitoring/query.py": {"urllib.request", "urllib.error", "http.client"},
    "server/ports.py": {"socket"},
}
_ROOT = Path(tritonops.__file__).parent


def _talks(module: str) -> str | None:
    if module == _SCHEMA:
        return None
    for banned in _FORBIDDEN:
        if module == banned or module.startswith(banned + "."):
            return banned
    return None


def forbidden_imports(source: str) -> set[str]:
    """The forbidden modules ``source`` imports, at any depth (function-local imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from urllib import request` imports urllib.request
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            banned = _talks(name)
            if banned:
                found.add(banned)
    return found


def test_the_scan_sees_every_spelling() -> None:
    source = (
        "import tritonclient.http as h\n"
        "from urllib import request\n"
        "def f():\n    import http.client\n"
        "from tritonclient.grpc import InferInput, model_config_pb2\n"
        "from tritonclient.grpc import model_config_pb2 as pb\n"
        "import urllib.parse\n"
    )
    assert forbidden_imports(source) == {
        "tritonclient.http",
        "urllib.request",
        "http.client",
        "tritonclient.grpc",
    }
    assert forbidden_imports("from tritonclient.grpc import model_config_pb2 as pb\n") == set()


def test_only_the_boundary_package_talks_to_triton() -> None:
    offenders = []
    for path in sorted(_ROOT.rglob("*.py")):
        relative = path.relative_to(_ROOT).as_posix()
        if relative.startswith("triton/"):
            continue
        banned = forbidden_imports(path.read_text()) - _ALLOWED.get(relative, set())
        if banned:
            offenders.append(f"{relative}: {', '.join(sorted(banned))}")
    assert not offenders, (
        "these modules talk to Triton outside tritonops.triton — move the call into the boundary"
        " package and import it from there:\n" + "\n".join(offenders)
    )


# the boundary modules that hand out tritonclient's objects (clients, channels, stubs): whoever
# holds one talks to Triton, so only the boundary itself may import them
_WIRE_MODULES = ("tritonops.triton.connect", "tritonops.triton.grpc_messages")


def _imports_wire(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found.update(m for m in modules if m in _WIRE_MODULES)
    return found


def test_no_module_outside_the_boundary_holds_a_tritonclient_object() -> None:
    """Not only imports: a client, channel or stub obtained from the boundary and driven
    elsewhere is talking to Triton elsewhere (streams, smoke inferences and perf's senders
    live in tritonops.triton for that reason)."""
    assert _imports_wire("from tritonops.triton import connect, rest\n") == {
        "tritonops.triton.connect"
    }
    offenders = []
    for path in sorted(_ROOT.rglob("*.py")):
        relative = path.relative_to(_ROOT).as_posix()
        if relative.startswith("triton/"):
            continue
        used = _imports_wire(path.read_text())
        if used:
            offenders.append(f"{relative}: {', '.join(sorted(used))}")
    assert not offenders, "\n".join(offenders)
