"""A real Prometheus (the Debian ``prometheus`` package's server) on a free loopback port.

It scrapes one target every second and evaluates the given rule files every second; readiness is
polled on ``/-/ready`` (never a fixed sleep), and it stops with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import pytest
import yaml

from tritonops.monitoring.query import PrometheusApi
from tritonops.server.ports import free_port

INSTALL = "install it with `apt-get install prometheus` (scripts/bootstrap does, as root)"


def prometheus_binary() -> Path:
    """The prometheus server binary; skips the test where it is missing unless
    TRITONOPS_REQUIRE_PROMETHEUS=1 makes that a failure."""
    found = os.environ.get("TRITONOPS_PROMETHEUS") or shutil.which("prometheus")
    if found and Path(found).is_file():
        return Path(found)
    reason = f"no prometheus server on PATH — {INSTALL}"
    if os.environ.get("TRITONOPS_REQUIRE_PROMETHEUS") == "1":
        pytest.fail(f"TRITONOPS_REQUIRE_PROMETHEUS=1 but {reason}")
    pytest.skip(reason)


class LocalPrometheus:
    """``with LocalPrometheus(folder, target, rules) as prom: prom.api.query(...)``."""

    def __init__(
        self, folder: Path, target: str, rule_files: Sequence[Path], *, job: str = "triton"
    ) -> None:
        self.binary = prometheus_binary()
        self.folder = folder
        self.port = free_port()
        self.api = PrometheusApi(f"127.0.0.1:{self.port}")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}],
        }
        self.config = folder / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config))
        self.log = folder / "prometheus.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalPrometheus:
        argv = [
            str(self.binary),
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
        ]
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not self.api.ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"prometheus did not get ready:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
