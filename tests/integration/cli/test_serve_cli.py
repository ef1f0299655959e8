"""`tritonops serve` answers HTTP and gRPC for every model of a repository, stops on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from click.testing import CliRunner

from tritonops.cli.main import cli
from tritonops.server.ports import free_port

ROOT = Path(__file__).resolve().parents[3]


def _wait_serving(process: subprocess.Popen[str]) -> list[str]:
    """Read the command's lines until it says it is serving (it loads every model first)."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("serving"):
            return lines
    raise AssertionError("tritonops serve exited early:\n" + "".join(lines))


def test_serve_answers_http_and_grpc_for_every_model(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "tour", tmp_path / "tour")
    project = str(tmp_path / "tour" / "tritonops.yaml")
    built = CliRunner().invoke(cli, ["build", "-f", project])
    assert built.exit_code == 0, built.output
    rendered = CliRunner().invoke(cli, ["render", "-f", project, "--out", str(repo)])
    assert rendered.exit_code == 0, rendered.output
    http_port, grpc_port = free_port(), free_port()
    tritonops = str(Path(sys.executable).parent / "tritonops")
    process = subprocess.Popen(
        [
            tritonops,
            "serve",
            str(repo),
            "--http-port",
            str(http_port),
            "--grpc-port",
            str(grpc_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = _wait_serving(process)
        http = httpclient.InferenceServerClient(f"127.0.0.1:{http_port}")
        grpc = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        raw = np.arange(8, dtype=np.float32).reshape(2, 4)
        for model, name, shape_out in (
            ("preprocess", "RAW", ("FEATURES", (2, 4))),
            ("classifier", "input", ("probabilities", (2, 3))),
            ("pipeline", "RAW", ("SCORES", (2, 3))),
        ):
            item = httpclient.InferInput(name, [2, 4], "FP32")
            item.set_data_from_numpy(raw)
            assert http.infer(model, [item]).as_numpy(shape_out[0]).shape == shape_out[1]
            gitem = grpcclient.InferInput(name, [2, 4], "FP32")
            gitem.set_data_from_numpy(raw)
            assert grpc.infer(model, [gitem]).as_numpy(shape_out[0]).shape == shape_out[1]
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output = "".join(printed) + rest
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "READY" in output
    assert "stopped" in output


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc: no extra package)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_sigterm_stops_deploy_local_and_its_tritonserver(tmp_path: Path) -> None:
    """A supervisor's SIGTERM to `deploy --target local` stops tritonserver too, exit 0."""
    shutil.copytree(ROOT / "examples" / "tour", tmp_path / "tour")
    project = str(tmp_path / "tour" / "tritonops.yaml")
    built = CliRunner().invoke(cli, ["build", "-f", project])
    assert built.exit_code == 0, built.output
    tritonops = str(Path(sys.executable).parent / "tritonops")
    process = subprocess.Popen(
        [tritonops, "deploy", "-f", project, "--target", "local"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        printed = _wait_serving(process)
        servers = [
            pid
            for pid in _children(process.pid)
            if "tritonserver" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        ]
        assert len(servers) == 1, printed
        process.send_signal(signal.SIGTERM)  # to the process only, as a supervisor does
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, "".join(printed) + rest
    assert "stopped" in rest
    assert not _alive(servers[0]), f"tritonserver {servers[0]} outlived its deploy"
