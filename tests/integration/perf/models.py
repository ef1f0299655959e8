"""Tiny python-backend models for the perf tests: echo, fixed-overhead batching, streaming."""

from __future__ import annotations

from pathlib import Path

# Adds one; merges the dynamic batch so batching pays off like a real model.
ADD = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        xs = [pb_utils.get_input_tensor_by_name(r, "x").as_numpy() for r in requests]
        y = np.concatenate(xs) + 1
        out, start = [], 0
        for x in xs:
            part = y[start : start + len(x)]
            start += len(x)
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", part)]))
        return out
"""

# A fixed cost per execute() call and almost none per item: batching is clearly the best setting.
OVERHEAD = """
import time
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        time.sleep(0.004)
        return [
            pb_utils.InferenceResponse(
                [pb_utils.Tensor("y", pb_utils.get_input_tensor_by_name(r, "x").as_numpy() * 2)]
            )
            for r in requests
        ]
"""

# Decoupled: answers each request with N responses (N from input "n"), then the final flag.
STREAM = """
import time
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        for request in requests:
            n = int(pb_utils.get_input_tensor_by_name(request, "n").as_numpy().reshape(-1)[0])
            sender = request.get_response_sender()
            for i in range(n):
                time.sleep(0.002)
                out = pb_utils.Tensor("token", np.array([i], dtype=np.int32))
                sender.send(pb_utils.InferenceResponse([out]))
            sender.send(flags=pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL)
        return None
"""

BATCHED = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 4 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
{extra}
"""

STREAM_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 0
model_transaction_policy {{ decoupled: true }}
input [ {{ name: "n" data_type: TYPE_INT32 dims: [ 1 ] }} ]
output [ {{ name: "token" data_type: TYPE_INT32 dims: [ 1 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
"""


def _write(repo: Path, name: str, config: str, code: str) -> None:
    (repo / name / "1").mkdir(parents=True, exist_ok=True)
    (repo / name / "config.pbtxt").write_text(config)
    (repo / name / "1" / "model.py").write_text(code)


def add_model(repo: Path, name: str = "add", *, dynamic_batching: bool = True) -> None:
    extra = "dynamic_batching { }" if dynamic_batching else ""
    _write(repo, name, BATCHED.format(name=name, extra=extra), ADD)


def overhead_model(repo: Path, name: str = "overhead") -> None:
    """Starts unbatched (no dynamic_batching): the tuner has to find batching."""
    _write(repo, name, BATCHED.format(name=name, extra=""), OVERHEAD)


def stream_model(repo: Path, name: str = "stream") -> None:
    _write(repo, name, STREAM_CONFIG.format(name=name), STREAM)
