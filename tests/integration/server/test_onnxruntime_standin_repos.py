"""Repositories users write by hand, each served by the onnxruntime stand-in as production would.

One embedded tritonserver runs them all, started the way a production server is often started:
``--backend-config=default-max-batch-size=2 --backend-config=onnxruntime,default-max-batch-size=8``
(the onnxruntime backend's own setting overrides the global one). Each test names the source of
the verdict: github.com/triton-inference-server/onnxruntime_backend (src/onnxruntime.cc,
src/onnxruntime_utils.cc), .../core, .../server docs, .../backend (src/backend_common.cc).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as httpclient
from numpy.typing import NDArray

from tritonops.errors import ModelLoadError
from tritonops.repository.validate import validate_repository
from tritonops.server import LocalTriton

from .standin_models import (
    IRIS_LIKE,
    accumulator,
    echo_strings,
    fit_classifier,
    matmul,
    sklearn_classifier,
    sum_over_time,
)

WEIGHTS = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
BACKEND_ONLY = 'name: "NAME"\nbackend: "onnxruntime"\n'

ACCUMULATOR = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 4
input [ { name: "INPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
output [ { name: "OUTPUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
sequence_batching {
  state [ {
    input_name: "INPUT_STATE"
    output_name: "OUTPUT_STATE"
    data_type: TYPE_INT32
    dims: [ 1 ]
    initial_state: { data_type: TYPE_INT32 dims: [ 1 ] INITIAL name: "start" }
  } ]
}
"""

CLASSIFIER = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 8
input [ { name: "X" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [
  { name: "LABEL" data_type: TYPE_INT64 dims: [ 1 ] reshape: { shape: [ ] } }
  PROBABILITIES
]
"""

OVER_TIME = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 4
input [ { name: "x" data_type: TYPE_FP32 dims: [ -1 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 1 ] reshape: { shape: [ ] } } ]
"""

MATMUL = """name: "NAME"
backend: "onnxruntime"
max_batch_size: MBS
input [ { name: "x" data_type: TYPE_FP32 dims: [ IN_DIMS ] } ]
output [ { name: "y" data_type: OUT_TYPE dims: [ OUT_DIMS ] } ]
"""


def _matmul(mbs: int = 8, in_dims: str = "4", out_dims: str = "3", out: str = "TYPE_FP32") -> str:
    return (
        MATMUL.replace("MBS", str(mbs))
        .replace("IN_DIMS", in_dims)
        .replace("OUT_DIMS", out_dims)
        .replace("OUT_TYPE", out)
    )


def _parameters(**values: str) -> str:
    return "".join(
        f'parameters {{ key: "{k}" value: {{ string_value: "{v}" }} }}\n' for k, v in values.items()
    )


STRINGS = """name: "NAME"
backend: "onnxruntime"
max_batch_size: 4
input [ { name: "text" data_type: TYPE_STRING dims: [ -1 ] } ]
output [ { name: "same" data_type: TYPE_STRING dims: [ -1 ] } ]
"""


def _classifier(label: str, probabilities: str = "") -> str:
    return CLASSIFIER.replace("LABEL", label).replace("PROBABILITIES", probabilities)


# the repositories that the real backend loads and serves: static validate must pass them too
ACCEPTED = (
    "accumulator",
    "accumulator_from_file",
    "accumulator_listed",
    "auto_default_batch",
    "classifier_no_zipmap",
    "over_time",
    "own_filename",
    "two_instances",
    "unbatched_batch_dim",
    "strings_auto",
    "tuned",
)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("handwritten")
    accumulator(root, "accumulator", ACCUMULATOR.replace("INITIAL", "zero_data: true"))
    accumulator(
        root, "accumulator_from_file", ACCUMULATOR.replace("INITIAL", 'data_file: "hundred"')
    )
    # the state output listed as an output; one instance whose direct batcher waits (up to 5 s)
    # for all four sequence slots, so the four sequences below run as one batch each step
    listed = ACCUMULATOR.replace("INITIAL", "zero_data: true").replace(
        "dims: [ 1 ] } ]\nsequence_batching {",
        'dims: [ 1 ] },\n  { name: "OUTPUT_STATE" data_type: TYPE_INT32 dims: [ 1 ] } ]\n'
        "instance_group [ { count: 1 kind: KIND_CPU } ]\nsequence_batching {\n"
        "  direct { max_queue_delay_microseconds: 5000000 minimum_slot_utilization: 1.0 }",
    )
    accumulator(root, "accumulator_listed", listed)
    (root / "accumulator_from_file" / "initial_state").mkdir()
    (root / "accumulator_from_file" / "initial_state" / "hundred").write_bytes(
        np.array([100], dtype=np.int32).tobytes()
    )
    matmul(root, "auto_default_batch", BACKEND_ONLY)
    sklearn_classifier(root, "classifier_zipmap", _classifier("output_label"), zipmap=True)
    sklearn_classifier(root, "classifier_zipmap_auto", BACKEND_ONLY, zipmap=True)
    sklearn_classifier(
        root,
        "classifier_no_zipmap",
        _classifier("label", ', { name: "probabilities" data_type: TYPE_FP32 dims: [ 3 ] }'),
        zipmap=False,
    )
    sum_over_time(root, "over_time", OVER_TIME)
    (root / "own_filename" / "1").mkdir(parents=True)
    matmul(root, "own_filename_src", None)
    (root / "own_filename_src" / "1" / "model.onnx").rename(
        root / "own_filename" / "1" / "matmul.onnx"
    )
    (root / "own_filename_src" / "1").rmdir()
    (root / "own_filename_src").rmdir()
    (root / "own_filename" / "config.pbtxt").write_text(
        _matmul().replace("NAME", "own_filename") + 'default_model_filename: "matmul.onnx"\n'
    )
    matmul(root, "two_instances", _matmul() + "instance_group [ { count: 2 kind: KIND_CPU } ]\n")
    matmul(root, "unbatched_batch_dim", _matmul(mbs=0, in_dims="-1, 4", out_dims="-1, 3"))
    matmul(root, "unbatched_item_dims", _matmul(mbs=0))
    matmul(root, "wrong_output_type", _matmul(out="TYPE_INT64"))
    echo_strings(root, "strings_as_float", STRINGS.replace("TYPE_STRING", "TYPE_FP32"))
    echo_strings(root, "strings_auto", BACKEND_ONLY)
    matmul(
        root,
        "tuned",
        _matmul()
        + _parameters(intra_op_thread_count="2", inter_op_thread_count="1", no_such_knob="7")
        + "optimization { graph { level: 1 } }\n",
    )
    matmul(root, "bad_thread_count", _matmul() + _parameters(intra_op_thread_count="two"))
    return root


@pytest.fixture(scope="module")
def server(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTriton]:
    log = tmp_path_factory.mktemp("log") / "server.log"
    args = [
        "--backend-config=default-max-batch-size=2",
        "--backend-config=onnxruntime,default-max-batch-size=8",
    ]
    with LocalTriton(repo, log_file=log, extra_args=args) as triton:
        yield triton


def _infer(server: LocalTriton, model: str, **arrays: NDArray[Any]) -> httpclient.InferResult:
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        return client.infer(model, [_input(name, array) for name, array in arrays.items()])
    finally:
        client.close()


def _input(name: str, array: NDArray[Any]) -> httpclient.InferInput:
    dtypes = {np.dtype(np.float32): "FP32", np.dtype(np.int32): "INT32", np.dtype(object): "BYTES"}
    item = httpclient.InferInput(name, list(array.shape), dtypes[array.dtype])
    item.set_data_from_numpy(array, binary_data=True)
    return item


def _json(server: LocalTriton, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{server.http_url}{path}", timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read())
    return data


def _served(server: LocalTriton, model: str) -> dict[str, Any]:
    return _json(server, f"/v2/models/{model}/config")


def _load_error(server: LocalTriton, model: str) -> str:
    with pytest.raises(ModelLoadError) as caught:
        server.load(model)
    return caught.value.reason


def _step(
    client: httpclient.InferenceServerClient,
    model: str,
    sequence: int,
    value: int,
    *,
    start: bool = False,
    end: bool = False,
) -> int:
    item = _input("INPUT", np.array([[value]], dtype=np.int32))
    result = client.infer(
        model, [item], sequence_id=sequence, sequence_start=start, sequence_end=end
    )
    out = result.as_numpy("OUTPUT")
    assert out is not None
    return int(out[0, 0])


def test_implicit_state_carries_each_sequences_sum(server: LocalTriton) -> None:
    """The state input of each request is the state output of the sequence's previous request;
    ``zero_data`` starts it at 0; sequences do not mix; a new START resets it. Sources: server
    docs/user_guide/implicit_state_management.md; core src/sequence_batch_scheduler.cc
    UpdateImplicitState (a START re-initialises the slot's state); onnxruntime.cc
    ReadOutputTensors (TRITONBACKEND_StateUpdate for each state output)."""
    server.load("accumulator")
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        first = [_step(client, "accumulator", 11, 1, start=True)]
        second = [_step(client, "accumulator", 12, 10, start=True)]
        first.append(_step(client, "accumulator", 11, 2))
        second.append(_step(client, "accumulator", 12, 20, end=True))
        first.append(_step(client, "accumulator", 11, 3, end=True))
        again = _step(client, "accumulator", 11, 5, start=True, end=True)
    finally:
        client.close()
    assert first == [1, 3, 6]
    assert second == [10, 30]
    assert again == 5


def test_implicit_state_starts_from_the_initial_state_file(server: LocalTriton) -> None:
    """``initial_state { data_file }`` reads the model folder's initial_state/FILE as the state of
    each sequence's first request. Source: implicit_state_management.md "Initializing State from
    File"; core SequenceStates::Initialize."""
    server.load("accumulator_from_file")
    client = httpclient.InferenceServerClient(server.http_url)
    try:
        sums = [
            _step(client, "accumulator_from_file", 3, 1, start=True),
            _step(client, "accumulator_from_file", 3, 2, end=True),
        ]
    finally:
        client.close()
    assert sums == [101, 103]


def test_concurrent_sequences_batched_together_keep_their_own_state(server: LocalTriton) -> None:
    """Requests of several sequences executed as one batch each get their own state, and a state
    output listed under ``output`` reaches the client. Sources: implicit_state_management.md (the
    output state is returned when listed as an output); onnxruntime.cc ReadOutputTensors
    (BackendOutputResponder::ProcessStateTensor splits the batch's state per request)."""
    server.load("accumulator_listed")
    client = httpclient.InferenceServerClient(server.http_url, concurrency=4)
    sequences = {21: [1, 2, 3], 22: [10, 20, 30], 23: [100, 200, 300], 24: [5, 5, 5]}
    answers: dict[int, list[tuple[int, int]]] = {key: [] for key in sequences}
    try:
        for step in range(3):
            pending = {
                key: client.async_infer(
                    "accumulator_listed",
                    [_input("INPUT", np.array([[values[step]]], dtype=np.int32))],
                    sequence_id=key,
                    sequence_start=step == 0,
                    sequence_end=step == 2,
                )
                for key, values in sequences.items()
            }
            for key, request in pending.items():
                result = request.get_result()
                out, state = result.as_numpy("OUTPUT"), result.as_numpy("OUTPUT_STATE")
                assert out is not None
                assert state is not None
                answers[key].append((int(out[0, 0]), int(state[0, 0])))
    finally:
        client.close()
    for key, values in sequences.items():
        sums = np.cumsum(values).tolist()
        assert answers[key] == list(zip(sums, sums, strict=True))
    stats = _json(server, "/v2/models/accumulator_listed/stats")["model_stats"][0]
    assert stats["inference_count"] == 12
    assert stats["execution_count"] < 12  # requests of different sequences shared executions


def test_the_onnxruntime_default_max_batch_size_overrides_the_global_one(
    server: LocalTriton,
) -> None:
    """Auto-complete gives a batching graph the server's default-max-batch-size: the backend's
    own ``--backend-config=onnxruntime,...`` setting over the global one. Sources: onnxruntime.cc
    TRITONBACKEND_Initialize (cmdline default-max-batch-size) and AutoCompleteMaxBatch; core
    src/backend_model.cc ResolveBackendConfigs; model_configuration.md "Default Max Batch Size
    and Dynamic Batcher"."""
    server.load("auto_default_batch")
    config = _served(server, "auto_default_batch")
    assert config["max_batch_size"] == 8
    assert "dynamic_batching" in config
    y = _infer(server, "auto_default_batch", x=np.ones((8, 4), dtype=np.float32)).as_numpy("y")
    np.testing.assert_allclose(y, np.ones((8, 4), dtype=np.float32) @ WEIGHTS, rtol=1e-6)


@pytest.mark.parametrize("model", ["classifier_zipmap", "classifier_zipmap_auto"])
def test_a_zipmap_classifier_is_refused_because_its_output_is_not_a_tensor(
    server: LocalTriton, model: str
) -> None:
    """skl2onnx's default ZipMap makes ``output_probability`` a sequence of maps; the backend
    reads every graph input and output as a tensor and refuses any other ONNX type, whether or
    not the config lists that output. Source: onnxruntime_utils.cc InputOutputInfos
    ("Unsupported ONNX Type ... expected 'ONNX_TYPE_TENSOR'"), reached from AutoCompleteConfig
    and ValidateOutputs."""
    reason = _load_error(server, model)
    assert (
        "Unsupported ONNX Type 'ONNX_TYPE_SEQUENCE' for I/O 'output_probability', expected "
        "'ONNX_TYPE_TENSOR'." in reason
    )


def test_a_classifier_exported_without_zipmap_serves_labels_and_probabilities(
    server: LocalTriton,
) -> None:
    """With ``zipmap: False`` both outputs are tensors: label [N] (served as dims [1] with an
    empty reshape) and probabilities [N, 3]. Sources: onnxruntime.cc ValidateOutputs (reshape);
    model_configuration.md "Reshape"."""
    server.load("classifier_no_zipmap")
    features = IRIS_LIKE[0][:5]
    result = _infer(server, "classifier_no_zipmap", X=features)
    labels, probabilities = result.as_numpy("label"), result.as_numpy("probabilities")
    assert labels is not None
    assert probabilities is not None
    estimator = fit_classifier()
    assert labels.shape == (5, 1)
    assert labels[:, 0].tolist() == estimator.predict(features).tolist()
    np.testing.assert_allclose(probabilities, estimator.predict_proba(features), rtol=1e-4)


def test_a_symbolic_non_batch_dim_serves_any_length_with_dims_minus_1(server: LocalTriton) -> None:
    """A graph input [N, T] with T symbolic: the config says ``dims: [ -1 ]`` and requests of
    any length load and answer. Source: onnxruntime_utils.cc CompareDimsSupported (a -1 in the
    graph accepts any configured dim; inputs compare loosely)."""
    server.load("over_time")
    for length in (3, 5):
        x = np.arange(2 * length, dtype=np.float32).reshape(2, length)
        y = _infer(server, "over_time", x=x).as_numpy("y")
        np.testing.assert_allclose(y, x.sum(axis=1, keepdims=True))


def test_default_model_filename_names_the_file_to_load(server: LocalTriton) -> None:
    """Source: model_config.proto ``default_model_filename``; onnxruntime.cc LoadModel joins the
    version folder and the artifact name (model.onnx when unset)."""
    server.load("own_filename")
    y = _infer(server, "own_filename", x=np.ones((1, 4), dtype=np.float32)).as_numpy("y")
    np.testing.assert_allclose(y, np.ones((1, 4), dtype=np.float32) @ WEIGHTS, rtol=1e-6)


def test_two_cpu_instances_load_and_serve(server: LocalTriton) -> None:
    """``instance_group [{ count: 2 kind: KIND_CPU }]``: one session per instance, both serve.
    Source: onnxruntime.cc TRITONBACKEND_ModelInstanceInitialize (a ModelInstanceState each)."""
    server.load("two_instances")
    group = _served(server, "two_instances")["instance_group"][0]
    assert (group["count"], group["kind"]) == (2, "KIND_CPU")
    for _ in range(4):
        y = _infer(server, "two_instances", x=np.ones((2, 4), dtype=np.float32)).as_numpy("y")
        np.testing.assert_allclose(y, np.ones((2, 4), dtype=np.float32) @ WEIGHTS, rtol=1e-6)


def test_max_batch_size_0_serves_a_batch_dim_graph_with_full_dims(server: LocalTriton) -> None:
    """With ``max_batch_size: 0`` the graph's batch dim is part of ``dims`` ([-1, 4]) and the
    client sends the whole shape. Source: onnxruntime_utils.cc CompareDimsSupported (no batch
    dim is added when max_batch_size is 0)."""
    server.load("unbatched_batch_dim")
    x = np.ones((3, 4), dtype=np.float32)
    y = _infer(server, "unbatched_batch_dim", x=x).as_numpy("y")
    np.testing.assert_allclose(y, x @ WEIGHTS, rtol=1e-6)


def test_max_batch_size_0_with_item_dims_only_is_refused(server: LocalTriton) -> None:
    """Source: onnxruntime_utils.cc CompareDimsSupported: "the model expects 2 dimensions (shape
    [-1,4]) but the model configuration specifies 1 dimensions (shape [4])"."""
    reason = _load_error(server, "unbatched_item_dims")
    assert "the model expects 2 dimensions (shape [-1,4]) but the model configuration " in reason
    assert "specifies 1 dimensions (shape [4])" in reason


def test_output_datatype_mismatch_is_refused_in_the_backends_words(server: LocalTriton) -> None:
    """Source: onnxruntime.cc ValidateOutputs: "configuration expects datatype TYPE_INT64 for
    output 'y', model provides TYPE_FP32"."""
    reason = _load_error(server, "wrong_output_type")
    assert "configuration expects datatype TYPE_INT64 for output 'y', model provides TYPE_FP32" in (
        reason
    )


def test_a_string_graph_tensor_is_named_type_bytes_in_the_mismatch(server: LocalTriton) -> None:
    """The backend names the graph's type with Triton's API name (TRITONSERVER_DataTypeString),
    so a string tensor is "TYPE_BYTES" there. Source: onnxruntime.cc ValidateInputs."""
    reason = _load_error(server, "strings_as_float")
    assert (
        "configuration expects datatype TYPE_FP32 for input 'text', model provides TYPE_BYTES"
        in (reason)
    )


def test_string_tensors_auto_complete_as_type_string(server: LocalTriton) -> None:
    """Source: onnxruntime_utils.cc OnnxDataTypeToModelConfigDataType (tensor(string) ->
    TYPE_STRING); AutoCompleteIO drops the batch dim."""
    server.load("strings_auto")
    config = _served(server, "strings_auto")
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["input"]] == [
        ("text", "TYPE_STRING", [-1])
    ]
    text = np.array([[b"x", b"yz"]], dtype=object)
    same = _infer(server, "strings_auto", text=text).as_numpy("same")
    assert same is not None
    assert same.tolist() == text.tolist()


def test_thread_and_graph_level_parameters_load_and_unknown_ones_are_ignored(
    server: LocalTriton,
) -> None:
    """intra_op_thread_count, inter_op_thread_count and optimization.graph.level are read; a
    parameter the backend does not know is ignored. Source: onnxruntime.cc ModelState
    constructor (TryParseModelStringParameter for each known key, nothing lists the rest)."""
    server.load("tuned")
    y = _infer(server, "tuned", x=np.ones((1, 4), dtype=np.float32)).as_numpy("y")
    np.testing.assert_allclose(y, np.ones((1, 4), dtype=np.float32) @ WEIGHTS, rtol=1e-6)


def test_a_thread_count_that_is_not_a_number_is_refused(server: LocalTriton) -> None:
    """Source: backend src/backend_common.cc ParseIntValue: "failed to convert 'two' to integral
    number"."""
    reason = _load_error(server, "bad_thread_count")
    assert "failed to convert 'two' to integral number" in reason


def test_the_accepted_repositories_pass_static_validation(repo: Path, tmp_path: Path) -> None:
    """What the real backend serves, the static validator must not call an error."""
    accepted = tmp_path / "accepted"
    for name in ACCEPTED:
        shutil.copytree(repo / name, accepted / name)
    report = validate_repository(accepted)
    errors = [d for d in report.diagnostics if d.severity == "error"]
    assert errors == []
