"""The one catalogue of tiny real models the server tiers serve.

Each writer puts one named model (``config.pbtxt`` and version ``1``) into a repository folder;
the python-backend code and the configs are written here once, so a fix to one of them reaches
every test that serves it. ``SESSION_MODELS`` is what the session's shared server serves
(``catalogue_server`` in conftest.py beside it).

- ``add_one``: ``y = x + 1`` over FP32 ``[4]`` (python); variants of it through ``python_code``:
  another expression, a delay, a failure on demand, a broken ``initialize``, other tensor names;
- ``batch_add``: adds one over the whole merged dynamic batch, so batching pays off;
- ``overhead``: a fixed cost per ``execute()`` call and almost none per item;
- ``stream``: decoupled, answers ``n`` responses then the final flag;
- ``shout``: strings in, strings upper-cased out (a mangled BYTES encoding shows in the answer);
- ``matmul``: ONNX ``y = x @ WEIGHTS``, FP32 ``[4]`` → ``[3]``, dynamic batching;
- ``header_gate``: ``add_one`` that fails any request whose forwarded header is missing or wrong;
- ``fails``: ``add_one``'s tensors, but every request raises (``FAILS_WITH`` names the error).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHTS = np.arange(12, dtype=np.float32).reshape(4, 3) / 10

_PYTHON = """
import time

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
{initialize}    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "{input}").as_numpy()
{before}            out = pb_utils.Tensor("{output}", {expr})
            responses.append(pb_utils.InferenceResponse([out]))
        return responses
"""

# A failure is an exception raised from execute(): tritonserver 2.51 counts it in
# nv_inference_request_failure{reason="BACKEND"}, while an InferenceResponse(error=...) counts as
# a success there (seen on the embedded server), so it could not test an error ratio.
_FAIL_WHEN_NEGATIVE = """            if x.reshape(-1)[0] < 0:
                raise pb_utils.TritonModelException("asked to fail: x[0] < 0")
"""

# the python backend reports the exception raised by initialize as the model's load error
_INITIALIZE_RAISES = """    def initialize(self, args):
        raise RuntimeError({message!r})

"""


def python_code(
    *,
    expr: str = "x + 1",
    input: str = "x",
    output: str = "y",
    delay_s: float = 0.0,
    fail_when_negative: bool = False,
    initialize_raises: str | None = None,
) -> str:
    """The ``model.py`` of an element-wise model: ``output = expr`` of ``input`` (named ``x`` in
    ``expr``), after sleeping ``delay_s`` per request; ``fail_when_negative`` raises when
    ``x[0] < 0``; ``initialize_raises`` makes the load fail with that message."""
    before = f"            time.sleep({delay_s})\n" if delay_s > 0 else ""
    if fail_when_negative:
        before += _FAIL_WHEN_NEGATIVE
    initialize = _INITIALIZE_RAISES.format(message=initialize_raises) if initialize_raises else ""
    return _PYTHON.format(
        initialize=initialize, input=input, output=output, before=before, expr=expr
    )


ADD_ONE = python_code()

# every request of ``fails`` raises this, from execute(): a failure as Triton counts one
FAILS_WITH = "NameError: name 'undefined_on_purpose' is not defined"


def python_config(
    name: str,
    *,
    input: str = "x",
    output: str = "y",
    max_batch_size: int = 8,
    one_instance: bool = False,
    dynamic_batching: bool = False,
) -> str:
    """``config.pbtxt`` of a python model mapping FP32 ``[4]`` to FP32 ``[4]``."""
    lines = [
        f'name: "{name}"',
        'backend: "python"',
        f"max_batch_size: {max_batch_size}",
        f'input [ {{ name: "{input}" data_type: TYPE_FP32 dims: [ 4 ] }} ]',
        f'output [ {{ name: "{output}" data_type: TYPE_FP32 dims: [ 4 ] }} ]',
    ]
    if one_instance:
        lines.append("instance_group [ { kind: KIND_CPU count: 1 } ]")
    if dynamic_batching:
        lines.append("dynamic_batching { }")
    return "\n".join(lines) + "\n"


def write_model(repo: Path, name: str, config: str, code: str | None) -> Path:
    """``repo/name/config.pbtxt`` and ``repo/name/1/model.py`` (no code when ``None``)."""
    (repo / name / "1").mkdir(parents=True, exist_ok=True)
    (repo / name / "config.pbtxt").write_text(config, encoding="utf-8")
    if code is not None:
        (repo / name / "1" / "model.py").write_text(code, encoding="utf-8")
    return repo / name


def python_model(
    repo: Path,
    name: str,
    *,
    code: str | None = ADD_ONE,
    one_instance: bool = False,
    dynamic_batching: bool = False,
) -> Path:
    """A python model FP32 ``[4]`` → FP32 ``[4]`` running ``code`` (``add_one`` by default)."""
    config = python_config(name, one_instance=one_instance, dynamic_batching=dynamic_batching)
    return write_model(repo, name, config, code)


def failing_model(repo: Path, name: str = "fails") -> Path:
    """FP32 ``[4]`` in and out, and every request fails with ``FAILS_WITH``."""
    return python_model(repo, name, code=python_code(expr="undefined_on_purpose"))


# Adds one; merges the dynamic batch so batching pays off like a real model.
_BATCH_ADD = """
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
_OVERHEAD = """
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
_STREAM = """
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

_STREAM_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 0
model_transaction_policy {{ decoupled: true }}
input [ {{ name: "n" data_type: TYPE_INT32 dims: [ 1 ] }} ]
output [ {{ name: "token" data_type: TYPE_INT32 dims: [ 1 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
"""


def batch_add_model(repo: Path, name: str = "add", *, dynamic_batching: bool = True) -> Path:
    """Adds one over the merged batch, one instance."""
    return python_model(
        repo, name, code=_BATCH_ADD, one_instance=True, dynamic_batching=dynamic_batching
    )


def overhead_model(repo: Path, name: str = "overhead") -> Path:
    """Starts unbatched (no dynamic_batching): the tuner has to find batching."""
    return python_model(repo, name, code=_OVERHEAD, one_instance=True)


def stream_model(repo: Path, name: str = "stream") -> Path:
    return write_model(repo, name, _STREAM_CONFIG.format(name=name), _STREAM)


_SHOUT = """
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            words = pb_utils.get_input_tensor_by_name(request, "text").as_numpy()
            loud = np.array([w.decode().upper().encode() for w in words.ravel()], dtype=object)
            responses.append(
                pb_utils.InferenceResponse([pb_utils.Tensor("loud", loud.reshape(words.shape))])
            )
        return responses
"""

_SHOUT_CONFIG = """name: "{name}"
backend: "python"
max_batch_size: 8
input [ {{ name: "text" data_type: TYPE_STRING dims: [ -1 ] }} ]
output [ {{ name: "loud" data_type: TYPE_STRING dims: [ -1 ] }} ]
"""


def string_model(repo: Path, name: str = "shout") -> Path:
    return write_model(repo, name, _SHOUT_CONFIG.format(name=name), _SHOUT)


_ONNX_CONFIG = """name: "{name}"
backend: "onnxruntime"
max_batch_size: 16
input [ {{ name: "x" data_type: TYPE_FP32 dims: [ 4 ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 3 ] }} ]
dynamic_batching {{ }}
"""


def onnx_model(repo: Path, name: str = "matmul") -> Path:
    folder = write_model(repo, name, _ONNX_CONFIG.format(name=name), None)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        [numpy_helper.from_array(WEIGHTS, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(folder / "1" / "model.onnx"))
    return folder


# Triton forwards the HTTP headers / gRPC metadata matching --http-header-forward-pattern /
# --grpc-header-forward-pattern as request parameters of string value (server
# docs/protocol/extension_parameters.md), which the python backend hands over as the JSON text of
# request.parameters() (python_backend README, "Inference Request Parameters"). A backend sees no
# header otherwise, so this is the server's own evidence that a header arrived.
_HEADER_GATE = """
import json

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            params = json.loads(request.parameters() or "{{}}")
            # HTTP may keep the sender's case, gRPC metadata is lower case
            seen = {{str(k).lower(): v for k, v in params.items()}}
            if seen.get({header!r}) != {value!r}:
                raise pb_utils.TritonModelException("header {header} did not arrive")
            x = pb_utils.get_input_tensor_by_name(request, "x").as_numpy()
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("y", x + 1)]))
        return responses
"""


def header_forwarding_args(header: str) -> list[str]:
    """tritonserver options forwarding ``header`` (HTTP and gRPC) as a request parameter."""
    pattern = header.lower()
    return ["--http-header-forward-pattern", pattern, "--grpc-header-forward-pattern", pattern]


def header_gate_model(repo: Path, header: str, value: str, name: str = "header_gate") -> Path:
    """``y = x + 1`` only for requests that carry ``header: value`` (forwarded by the server
    started with ``header_forwarding_args``); any other request fails, naming the header."""
    code = _HEADER_GATE.format(header=header.lower(), value=value)
    # unbatched: the tuner then only tries instance counts, so a tuning run reloads it less
    return write_model(repo, name, python_config(name, max_batch_size=0), code)
