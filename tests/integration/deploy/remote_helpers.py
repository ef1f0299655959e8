"""Repositories and a background client for the remote-deploy tests."""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tritonclient.http as httpclient

from ..catalogue import onnx_model, python_code, python_model

ADD_TWO = python_code(expr="x + 2")
# loads and answers, but under another output name than config.pbtxt declares (smoke must catch it)
WRONG_NAME = python_code(output="z")
# fails its load: the python backend reports the exception raised by initialize
RAISES_IN_INITIALIZE = python_code(initialize_raises="weights are missing")

ENSEMBLE = """name: "{name}"
platform: "ensemble"
max_batch_size: 8
input [ {{ name: "X" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "Y" data_type: TYPE_FP32 dims: [ 3 ] }} ]
ensemble_scheduling {{ step [ {{ model_name: "{step}" model_version: -1
  input_map {{ key: "x" value: "X" }} output_map {{ key: "y" value: "Y" }} }} ] }}
"""


def add_python(repo: Path, name: str) -> None:
    python_model(repo, name)


def add_onnx(repo: Path, name: str) -> None:
    onnx_model(repo, name)


def add_ensemble(repo: Path, name: str, step: str, *, width: int = 3) -> None:
    """An ensemble of one step; ``width`` is the step's output width (3: ONNX, 4: python)."""
    (repo / name / "1").mkdir(parents=True, exist_ok=True)
    text = ENSEMBLE.format(name=name, step=step).replace("dims: [ 3 ]", f"dims: [ {width} ]")
    (repo / name / "config.pbtxt").write_text(text)


def add_version(repo: Path, name: str, version: int, code: str | None = None) -> None:
    """Copy version 1 to ``version``; for python models optionally with other code."""
    target = repo / name / str(version)
    shutil.copytree(repo / name / "1", target)
    if code is not None:
        (target / "model.py").write_text(code)


@dataclass
class Traffic:
    """Unversioned requests in a loop until stopped (at most ``limit_s``); counts failures."""

    url: str
    model: str
    limit_s: float = 15.0
    input_name: str = "x"
    output_name: str = "y"
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    outputs: set[float] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Traffic:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        client = httpclient.InferenceServerClient(self.url, network_timeout=30)
        x = np.zeros((1, 4), dtype=np.float32)
        deadline = time.monotonic() + self.limit_s
        try:
            while not self._stop.wait(0.02) and time.monotonic() < deadline:
                item = httpclient.InferInput(self.input_name, [1, 4], "FP32")
                item.set_data_from_numpy(x)
                try:
                    y = client.infer(self.model, [item]).as_numpy(self.output_name)
                except Exception as exc:  # any failure counts; the test prints them
                    self.failures.append(str(exc))
                    continue
                finally:
                    self.sent += 1
                if y is None:
                    self.failures.append(f"no output {self.output_name!r}")
                else:
                    self.outputs.add(float(y.flat[0]))
        finally:
            client.close()
