"""Finding the server: the record `serve` leaves, the protocol probe, and the flags named."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tritonops.abtest.endpoint import resolve_url
from tritonops.errors import ExperimentError
from tritonops.server import endpoint_record
from tritonops.server.endpoint_record import ServedEndpoint
from tritonops.triton.probe import probe

PROJECT = "repository: model_repository\nmodels: []\n"


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    """A plain HTTP/1.1 server on a free loopback port (stands in for Triton's HTTP port)."""
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _project(tmp_path: Path) -> Path:
    (tmp_path / "model_repository").mkdir()
    project = tmp_path / "tritonops.yaml"
    project.write_text(PROJECT)
    return project


def test_the_probe_names_what_answers(http_port: int) -> None:
    assert probe(f"127.0.0.1:{http_port}") == "http"
    assert probe(f"127.0.0.1:{_closed_port()}") == "closed"


def test_the_record_is_read_while_its_pid_lives_and_ignored_after(tmp_path: Path) -> None:
    repo = tmp_path / "model_repository"
    repo.mkdir()
    alive = ServedEndpoint(os.getpid(), str(repo), "127.0.0.1:1", "127.0.0.1:2", "http://m")
    path = endpoint_record.write(repo, alive)
    assert path == tmp_path / ".tritonops" / "served" / "model_repository.json"
    assert endpoint_record.read(repo) == alive
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    endpoint_record.write(repo, ServedEndpoint(dead.pid, str(repo), "a:1", "a:2", "m"))
    assert endpoint_record.read(repo) is None
    endpoint_record.remove(repo)
    assert not path.exists()


def test_no_url_uses_the_recorded_server(tmp_path: Path) -> None:
    project = _project(tmp_path)
    rec = ServedEndpoint(os.getpid(), "r", "127.0.0.1:7001", "127.0.0.1:7000", "http://m")
    endpoint_record.write(tmp_path / "model_repository", rec)
    assert resolve_url(None, "grpc", project) == ("127.0.0.1:7001", "grpc")
    assert resolve_url(None, "http", project) == ("127.0.0.1:7000", "http")


def test_an_http_port_given_as_grpc_names_the_flags(tmp_path: Path, http_port: int) -> None:
    project = _project(tmp_path)
    rec = ServedEndpoint(os.getpid(), "r", "127.0.0.1:7001", f"127.0.0.1:{http_port}", "m")
    endpoint_record.write(tmp_path / "model_repository", rec)
    with pytest.raises(ExperimentError) as caught:
        resolve_url(f"127.0.0.1:{http_port}", "grpc", project)
    text = str(caught.value)
    assert "is Triton's HTTP port" in text
    assert "write http:// before it" in text
    assert "--url 127.0.0.1:7001" in text
    # the same port is fine over HTTP, and http:// says so by itself
    assert resolve_url(f"127.0.0.1:{http_port}", "http", project)[1] == "http"
    assert resolve_url(f"http://127.0.0.1:{http_port}", "grpc", project)[1] == "http"


def test_nothing_listening_says_how_to_start_or_point(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with pytest.raises(ExperimentError, match=r"nothing listens.*tritonops serve"):
        resolve_url(f"127.0.0.1:{_closed_port()}", "grpc", project)
