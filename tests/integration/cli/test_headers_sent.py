"""``--header`` reaches Triton from ab-test, perf run and perf tune, over gRPC and HTTP.

A python backend sees no HTTP header or gRPC metadata, so the server is started forwarding one
header as a request parameter (``--http-header-forward-pattern`` /
``--grpc-header-forward-pattern``, server docs/protocol/extension_parameters.md) and the
``header_gate`` model fails every request without it: a command that drops the header on any
inference path fails. One server for the module; the value never shows in output or reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tritonops.cli.main import cli
from tritonops.errors import PerfError
from tritonops.perf.analyzer import ready_analyzer
from tritonops.server import LocalTriton

from ..catalogue import header_forwarding_args, header_gate_model

HEADER = "X-Tritonops-Probe"
VALUE = "s3cret-probe-value"

PROJECT = """\
repository: model_repository
models:
  - name: header_gate
    kind: python
    source: models/header_gate
    max_batch_size: 8
    inputs: [{ name: x, data_type: fp32, dims: [4] }]
    outputs: [{ name: y, data_type: fp32, dims: [4] }]
experiments:
  - name: gated
    variants:
      - { name: control, model: header_gate }
      - { name: candidate, model: header_gate }
    slo: { p95_ms: 5000 }
    min_samples: 10
"""


@pytest.fixture(scope="module")
def triton(
    tmp_path_factory: pytest.TempPathFactory, session_cache: Path, tritonserver_available: None
) -> Iterator[LocalTriton]:
    repo = tmp_path_factory.mktemp("header-repo")
    header_gate_model(repo, HEADER, VALUE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRITONOPS_CACHE_DIR", str(session_cache))
        with LocalTriton(
            repo, load=["header_gate"], extra_args=header_forwarding_args(HEADER)
        ) as server:
            yield server


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("header-project")
    (root / "models" / "header_gate").mkdir(parents=True)
    (root / "models" / "header_gate" / "model.py").write_text("# served from the test repo\n")
    path = root / "tritonops.yaml"
    path.write_text(PROJECT)
    return path


def run(*args: str, env: dict[str, str] | None = None, quiet: bool = True) -> Result:
    argv = [*args, "--quiet"] if quiet else list(args)
    return CliRunner().invoke(cli, argv, env=env, catch_exceptions=False)


def no_secret(result: Result, *folders: Path) -> None:
    assert VALUE not in result.output
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert VALUE.encode() not in path.read_bytes(), path


def test_the_gate_fails_without_the_header(triton: LocalTriton) -> None:
    # the evidence the other tests rely on: without the header every request fails
    args = ["perf", "run", "header_gate", "--url", triton.grpc_url, "--engine", "builtin"]
    result = run(*args, "--concurrency", "1", "--interval", "100ms")
    assert result.exit_code == 1, result.output
    assert f"header {HEADER.lower()} did not arrive" in result.output


@pytest.mark.parametrize("scheme", ["", "http://"])
def test_ab_test_sends_the_header(
    triton: LocalTriton, project: Path, tmp_path: Path, scheme: str
) -> None:
    url = f"http://{triton.http_url}" if scheme else triton.grpc_url
    result = run(
        "ab-test", "gated", "-f", str(project), "--url", url, "--header", f"{HEADER}={VALUE}",
        "--requests", "40", "--concurrency", "2", "--report", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code in (0, 3), result.output  # promote or hold; never an error
    assert " 0 err" in result.output, result.output
    no_secret(result, tmp_path)


def test_perf_run_sends_the_header_over_grpc_and_http(triton: LocalTriton, tmp_path: Path) -> None:
    env = {"TRITONOPS_HEADERS": f"{HEADER}={VALUE}"}  # the envvar: one header per line
    grpc = run(
        "perf", "run", "header_gate", "--url", triton.grpc_url, "--concurrency", "1,2",
        "--interval", "150ms", "--stability-percentage", "90", "--report", str(tmp_path),
        env=env,
    )  # fmt: skip
    assert grpc.exit_code == 0, grpc.output
    # perf_analyzer cannot send headers over gRPC: the built-in engine measured, and says why
    assert "perf_analyzer sends -H headers over HTTP only" in grpc.output
    http = run(
        "perf", "run", "header_gate", "--url", f"http://{triton.http_url}", "--engine",
        "builtin", "--rate", "40", "--interval", "150ms", "--stability-percentage", "90",
        env=env,
    )  # fmt: skip
    assert http.exit_code == 0, http.output
    no_secret(grpc, tmp_path)
    no_secret(http)


def test_perf_analyzer_sends_the_header_over_http(triton: LocalTriton) -> None:
    try:
        ready_analyzer()
    except PerfError as exc:
        pytest.skip(f"perf_analyzer cannot run here: {exc}")
    result = run(
        "perf", "run", "header_gate", "--url", f"http://{triton.http_url}", "--engine",
        "perf_analyzer", "--concurrency", "1", "--interval", "300ms",
        "--stability-percentage", "90", "--header", f"{HEADER}={VALUE}",
    )  # fmt: skip
    # a level whose requests all fail is reported (unmeasured), not an exit code: read the text
    assert result.exit_code == 0, result.output
    assert "did not arrive" not in result.output
    assert "no request finished" not in result.output
    no_secret(result)


def test_perf_tune_sends_the_header_on_loads_and_requests(
    triton: LocalTriton, tmp_path: Path
) -> None:
    result = run(
        "perf", "tune", "header_gate", "--url", triton.grpc_url, "-f", str(tmp_path / "no.yaml"),
        "--header", f"{HEADER}={VALUE}", "--budget", "10", "--concurrency", "2",
        "--interval", "50ms", quiet=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "engine: builtin" in result.output  # perf_analyzer sends no headers over gRPC
    no_secret(result)
