"""ab-test finds the server `tritonops serve` runs for the project, and a wrong port is named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.server import LocalTriton, endpoint_record
from tritonops.triton.probe import probe

from .abtest_models import write_project, write_repository

EXPERIMENT = """\
  - name: same-model
    variants:
      - { name: control, model: fast }
      - { name: candidate, model: fast }
    min_samples: 20
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("served-project"), EXPERIMENT)


def test_the_http_port_given_as_grpc_is_named_with_the_flags(
    triton: LocalTriton, project: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["ab-test", "same-model", "-f", str(project), "--url", triton.http_url, "--quiet"]
    )
    assert result.exit_code == 1, result.output
    assert f"{triton.http_url} is Triton's HTTP port, not its gRPC port" in result.output
    assert "write http:// before it" in result.output
    assert "Socket closed" not in result.output


def test_without_url_ab_test_uses_the_recorded_server(triton: LocalTriton, project: Path) -> None:
    repository = project.parent / "model_repository"
    with endpoint_record.recorded(repository, triton):
        result = CliRunner().invoke(
            cli, ["ab-test", "same-model", "-f", str(project), "--requests", "60", "--quiet"]
        )
    assert result.exit_code in (0, 3), result.output  # promote or hold: it ran
    assert "control" in result.output
    assert endpoint_record.read(repository) is None


def test_serve_records_its_urls_while_it_runs_and_removes_them_on_stop(tmp_path: Path) -> None:
    repository = write_repository(tmp_path / "model_repository")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    serve = subprocess.Popen(
        [sys.executable, "-m", "tritonops.cli.main", "serve", str(repository)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        record = None
        deadline = time.monotonic() + 180
        while record is None and time.monotonic() < deadline and serve.poll() is None:
            record = endpoint_record.read(repository)
            time.sleep(0.5)
        assert record is not None, "serve never wrote its endpoint record"
        assert probe(record.grpc) == "grpc"
        assert probe(record.http) == "http"
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=120)
    assert not endpoint_record.record_path(repository).exists()
