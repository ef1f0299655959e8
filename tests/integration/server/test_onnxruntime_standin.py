"""The onnxruntime stand-in follows the C++ onnxruntime backend's contract, case by case.

Each test names the rule's source: the backend at github.com/triton-inference-server/
onnxruntime_backend (src/onnxruntime.cc, src/onnxruntime_utils.cc), Triton's core and server docs.
Every verdict here comes from the embedded tritonserver loading and serving the model.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as httpclient
from numpy.typing import NDArray

from tritonops.errors import ModelLoadError
from tritonops.server import LocalTriton

from .standin_models import (
    BIAS,
    add_bias,
    add_start_flag,
    echo_strings,
    matmul,
    row_sum,
    square_sum,
)

WEIGHTS = np.arange(12, dtype=np.float32).reshape(4, 3) / 10

REGRESSOR = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]
"""

RESHAPED_INPUT = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] reshape: { shape: [ 2, 2 ] } } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 2 ] } ]
"""

BACKEND_ONLY = 'name: "NAME"\nbackend: "onnxruntime"\n'

MATMUL = """name: "NAME"
backend: "onnxruntime"
max_batch_size: {mbs}
input [ {{ name: "{input}" data_type: {dtype} dims: [ {dims} ] }} ]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ {out} ] }} ]
"""

OPTIONAL_BIAS = """name: "NAME"
backend: "onnxruntime"
max_batch_size: {mbs}
input [
  {{ name: "x" data_type: TYPE_FP32 dims: [ 2 ] }},
  {{ name: "b" data_type: TYPE_FP32 dims: [ 2 ] {optional} }}
]
output [ {{ name: "y" data_type: TYPE_FP32 dims: [ 2 ] }} ]
"""

SEQUENCE = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 4
input [ { name: "x" data_type: TYPE_FP32 dims: [ 1 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] } ]
sequence_batching {
  control_input [
    { name: "START" control [ { kind: CONTROL_SEQUENCE_START fp32_false_true: [ 0, 1 ] } ] }
  ]
}
"""

STRINGS = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 4
input [ { name: "text" data_type: TYPE_STRING dims: [ -1 ] } ]
output [ { name: "same" data_type: TYPE_STRING dims: [ -1 ] } ]
"""


def _matmul(**kw: Any) -> str:
    values = {"mbs": 8, "input": "x", "dtype": "TYPE_FP32", "dims": "4", "out": "3"} | kw
    return MATMUL.format(**values)


def _parameter(key: str, value: str) -> str:
    return f'parameters {{ key: "{key}" value: {{ string_value: "{value}" }} }}\n'


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("standin")
    row_sum(root, "regressor", REGRESSOR)
    square_sum(root, "reshaped_input", RESHAPED_INPUT)
    matmul(root, "auto_batching", BACKEND_ONLY)
    row_sum(root, "auto_scalar", BACKEND_ONLY)
    matmul(root, "auto_fixed", BACKEND_ONLY, batch=2)
    matmul(root, "auto_fixed_mbs", 'name: "NAME"\nbackend: "onnxruntime"\nmax_batch_size: 4\n', 2)
    add_bias(root, "optional_bias", OPTIONAL_BIAS.format(mbs=0, optional="optional: true"))
    add_bias(root, "bias_not_optional", OPTIONAL_BIAS.format(mbs=0, optional=""))
    add_bias(root, "optional_batching", OPTIONAL_BIAS.format(mbs=4, optional="optional: true"))
    matmul(root, "wrong_dtype", _matmul(dtype="TYPE_FP64"))
    matmul(root, "wrong_rank", _matmul(dims="4, 1"))
    matmul(root, "unknown_input", _matmul(input="image"))
    matmul(root, "fixed_batch", _matmul(), batch=2)
    matmul(root, "output_wildcard", _matmul(out="-1"))
    echo_strings(root, "strings", STRINGS)
    add_start_flag(root, "sequence", SEQUENCE)
    for name in ("garbage", "garbage_auto"):
        (root / name / "1").mkdir(parents=True)
        (root / name / "1" / "model.onnx").write_bytes(b"\x00not an onnx file")
    (root / "garbage" / "config.pbtxt").write_text(_matmul().replace("NAME", "garbage"))
    (root / "garbage_auto" / "config.pbtxt").write_text(
        BACKEND_ONLY.replace("NAME", "garbage_auto")
    )
    matmul(root, "bad_execution_mode", _matmul() + _parameter("execution_mode", "2"))
    matmul(root, "unknown_parameter", _matmul() + _parameter("no_such_knob", "7"))
    return root


@pytest.fixture(scope="module")
def server(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTriton]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    with LocalTriton(repo, log_file=log) as triton:
        yield triton


def _infer(server: LocalTriton, model: str, **arrays: NDArray[Any]) -> httpclient.InferResult:
    client = httpclient.InferenceServerClient(server.http_url)
    inputs = []
    for name, array in arrays.items():
        dtype = "BYTES" if array.dtype == np.object_ else "FP32"
        item = httpclient.InferInput(name, list(array.shape), dtype)
        item.set_data_from_numpy(array, binary_data=True)
        inputs.append(item)
    try:
        return client.infer(model, inputs)
    finally:
        client.close()


def _served(server: LocalTriton, model: str) -> dict[str, Any]:
    url = f"http://{server.http_url}/v2/models/{model}/config"
    with urllib.request.urlopen(url, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def _load_error(server: LocalTriton, model: str) -> str:
    with pytest.raises(ModelLoadError) as caught:
        server.load(model)
    return caught.value.reason


def test_output_reshape_serves_a_one_value_per_row_model(server: LocalTriton) -> None:
    """An output ``dims: [1]`` with ``reshape: { shape: [] }`` over a graph output [N] loads,
    and clients get [batch, 1]. Source: onnxruntime.cc ValidateOutputs compares the graph with
    ``reshape.shape`` when present; model_configuration.md "Reshape" (dims is what clients see)."""
    server.load("regressor")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = _infer(server, "regressor", x=x).as_numpy("y")
    assert y is not None
    assert y.shape == (3, 1)
    np.testing.assert_allclose(y[:, 0], x.sum(axis=1))


def test_input_reshape_hands_the_graph_the_reshaped_tensor(server: LocalTriton) -> None:
    """Clients send ``dims: [4]``; the graph receives ``reshape: [2, 2]``. Source: onnxruntime.cc
    ValidateInputs reads ``reshape.shape``; Triton's core applies the reshape before the backend."""
    server.load("reshaped_input")
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    y = _infer(server, "reshaped_input", x=x).as_numpy("y")
    assert y is not None
    np.testing.assert_allclose(y, x.reshape(2, 2, 2).sum(axis=2))


def test_auto_complete_fills_a_batching_graph(server: LocalTriton) -> None:
    """A config naming only the backend: inputs and outputs come from the graph without the batch
    dim, max_batch_size becomes the server default 4, and dynamic batching turns on. Source:
    onnxruntime.cc AutoCompleteConfig/AutoCompleteMaxBatch/AutoCompleteIO; server
    docs/user_guide/model_configuration.md "Default Max Batch Size and Dynamic Batcher"."""
    server.load("auto_batching")
    config = _served(server, "auto_batching")
    assert config["max_batch_size"] == 4
    assert "dynamic_batching" in config
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["input"]] == [
        ("x", "TYPE_FP32", [4])
    ]
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["output"]] == [
        ("y", "TYPE_FP32", [3])
    ]
    x = np.ones((2, 4), dtype=np.float32)
    y = _infer(server, "auto_batching", x=x).as_numpy("y")
    np.testing.assert_allclose(y, x @ WEIGHTS, rtol=1e-6)


def test_auto_complete_gives_a_batch_only_tensor_dims_1_and_an_empty_reshape(
    server: LocalTriton,
) -> None:
    """A graph output [N] auto-completes to ``dims: [1]`` with ``reshape: { shape: [] }`` when
    batching. Source: onnxruntime.cc AutoCompleteIO ("If dims are empty then must use a
    reshape")."""
    server.load("auto_scalar")
    output = _served(server, "auto_scalar")["output"][0]
    assert output["dims"] == [1]
    assert output["reshape"] == {"shape": []}
    y = _infer(server, "auto_scalar", x=np.ones((2, 4), dtype=np.float32)).as_numpy("y")
    assert y is not None
    assert y.shape == (2, 1)


def test_auto_complete_leaves_a_fixed_batch_graph_unbatched(server: LocalTriton) -> None:
    """A graph whose first dim is fixed cannot batch: max_batch_size stays 0 and dims keep every
    graph dim. Source: onnxruntime.cc AutoCompleteMaxBatch (all first dims must be -1)."""
    server.load("auto_fixed")
    config = _served(server, "auto_fixed")
    assert config.get("max_batch_size", 0) == 0
    assert config["input"][0]["dims"] == [2, 4]
    assert "dynamic_batching" not in config


def test_auto_complete_refuses_max_batch_size_on_a_graph_that_cannot_batch(
    server: LocalTriton,
) -> None:
    """Source: onnxruntime.cc AutoCompleteMaxBatch: "autofill failed for model ...: model does not
    support batching while non-zero max_batch_size is specified"."""
    reason = _load_error(server, "auto_fixed_mbs")
    assert "model does not support batching while non-zero max_batch_size" in reason


def test_optional_initializer_input_may_be_omitted_or_overridden(server: LocalTriton) -> None:
    """An initializer that is also a graph input, declared ``optional: true``, is not counted
    among the required inputs; a request may leave it out (the graph's value is used) or send it.
    Source: onnxruntime.cc ModelInstanceState ("Skip the optional inputs which are initializers")
    and ValidateInputs (overridable initializers merged into the allowed inputs)."""
    server.load("optional_bias")
    x = np.array([1.0, 2.0], dtype=np.float32)
    omitted = _infer(server, "optional_bias", x=x).as_numpy("y")
    np.testing.assert_allclose(omitted, x + BIAS)
    given = _infer(server, "optional_bias", x=x, b=np.ones(2, dtype=np.float32)).as_numpy("y")
    np.testing.assert_allclose(given, x + 1)


def test_initializer_input_not_declared_optional_is_counted_and_refused(
    server: LocalTriton,
) -> None:
    """Source: onnxruntime.cc ValidateInputs: "configuration expects 2 inputs, model provides 1"."""
    reason = _load_error(server, "bias_not_optional")
    assert "configuration expects 2 inputs, model provides 1" in reason


def test_optional_input_on_a_batching_model_is_refused(server: LocalTriton) -> None:
    """Source: onnxruntime.cc ValidateInputs: "optional input 'b' is not supported for models that
    support batching"."""
    reason = _load_error(server, "optional_batching")
    assert "optional input 'b' is not supported for models that support batching" in reason


def test_datatype_mismatch_is_refused_in_the_backends_words(server: LocalTriton) -> None:
    """Source: onnxruntime.cc ValidateInputs: "configuration expects datatype TYPE_FP64 for input
    'x', model provides TYPE_FP32"."""
    reason = _load_error(server, "wrong_dtype")
    assert "configuration expects datatype TYPE_FP64 for input 'x', model provides TYPE_FP32" in (
        reason
    )


def test_rank_mismatch_is_refused_in_the_backends_words(server: LocalTriton) -> None:
    """Source: onnxruntime_utils.cc CompareDimsSupported: "the model expects 2 dimensions (shape
    [-1,4]) but the model configuration specifies 3 dimensions"."""
    reason = _load_error(server, "wrong_rank")
    assert "the model expects 2 dimensions (shape [-1,4])" in reason
    assert "specifies 3 dimensions" in reason


def test_unknown_input_name_lists_the_allowed_inputs(server: LocalTriton) -> None:
    """Source: backend repository src/backend_common.cc CheckAllowedModelInput, called from
    onnxruntime.cc ValidateInputs: "unexpected inference input 'image', allowed inputs are: x"."""
    reason = _load_error(server, "unknown_input")
    assert "unexpected inference input 'image', allowed inputs are: x" in reason


def test_batching_needs_a_dynamic_first_dimension(server: LocalTriton) -> None:
    """Source: onnxruntime_utils.cc CompareDimsSupported: with max_batch_size > 0 "the first
    dimension must be -1; but shape expected by the model is [2,4]"."""
    reason = _load_error(server, "fixed_batch")
    assert "the first dimension must be -1; but shape expected by the model is [2,4]" in reason


def test_outputs_compare_exactly_so_a_wildcard_over_a_fixed_dim_is_refused(
    server: LocalTriton,
) -> None:
    """Outputs are compared exactly (compare_exact=true), inputs loosely. Source: onnxruntime.cc
    ValidateOutputs calling onnxruntime_utils.cc CompareDimsSupported."""
    reason = _load_error(server, "output_wildcard")
    assert "tensor 'y': the model expects 2 dimensions (shape [-1,3])" in reason


def test_string_tensors_round_trip(server: LocalTriton) -> None:
    """TYPE_STRING maps to ONNX tensor(string) both ways. Source: onnxruntime_utils.cc
    ModelConfigDataTypeToOnnxDataType (TYPE_STRING <-> ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING)."""
    server.load("strings")
    text = np.array([[b"a", b"bc"], [b"d", b"ef"]], dtype=object)
    same = _infer(server, "strings", text=text).as_numpy("same")
    assert same is not None
    assert same.tolist() == text.tolist()


def test_execution_mode_other_than_0_or_1_is_refused(server: LocalTriton) -> None:
    """Source: onnxruntime.cc ModelState constructor: "Expected values for  execution_mode are 0
    or 1 but got 2"."""
    reason = _load_error(server, "bad_execution_mode")
    assert "execution_mode are 0 or 1 but got 2" in reason


def test_unknown_parameters_are_ignored(server: LocalTriton) -> None:
    """The backend reads the parameters it knows by name and never lists the rest, so an unknown
    one loads. Source: onnxruntime.cc (each parameter is looked up with Find/TryParse...)."""
    server.load("unknown_parameter")
    y = _infer(server, "unknown_parameter", x=np.ones((1, 4), dtype=np.float32)).as_numpy("y")
    np.testing.assert_allclose(y, np.ones((1, 4), dtype=np.float32) @ WEIGHTS, rtol=1e-6)


def test_without_auto_complete_a_backend_only_config_is_refused(tmp_path: Path) -> None:
    """With ``--disable-auto-complete-config`` neither backend completes the config (server
    docs/user_guide/model_configuration.md "Auto-Generated Model Configuration"; python_backend
    README "auto_complete_config"), so the config declares 0 inputs against the graph's 1.
    Source: onnxruntime.cc ValidateInputs."""
    matmul(tmp_path, "bare", BACKEND_ONLY)
    with LocalTriton(tmp_path, extra_args=["--disable-auto-complete-config"]) as strict:
        reason = _load_error(strict, "bare")
    assert "configuration expects 0 inputs, model provides 1" in reason


def test_sequence_control_tensors_are_graph_inputs(server: LocalTriton) -> None:
    """A control input of the sequence batcher counts as a graph input and is fed to the graph
    (1.0 on a sequence's first request, 0.0 after). Source: onnxruntime.cc ModelInstanceState
    (expected input count adds one per control kind and per state); model_config.proto
    ModelSequenceBatching.Control."""
    server.load("sequence")
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        answers = []
        for start in (True, False):
            item = httpclient.InferInput("x", [1, 1], "FP32")
            item.set_data_from_numpy(np.array([[5.0]], dtype=np.float32), binary_data=True)
            result = client.infer(
                "sequence", [item], sequence_id=7, sequence_start=start, sequence_end=not start
            )
            answers.append(float(result.as_numpy("y")[0, 0]))
    finally:
        client.close()
    assert answers == [6.0, 5.0]


@pytest.mark.parametrize("model", ["garbage", "garbage_auto"])
def test_a_file_that_is_not_onnx_fails_with_onnxruntimes_reason_and_no_stack(
    server: LocalTriton, model: str
) -> None:
    """A corrupt model file fails the load (at auto-complete or at initialize) with onnxruntime's
    own reason, as the C++ backend reports it, without the stub's Python stack."""
    reason = _load_error(server, model)
    assert "INVALID_PROTOBUF" in reason
    assert "At:" not in reason
    assert ".py(" not in reason
