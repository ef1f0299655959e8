"""gRPC messages: numpy in as raw contents, numpy out by datatype, errors as ClientErrors."""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]
import numpy as np
import pytest
from tritonclient.grpc import service_pb2
from tritonclient.utils import serialize_byte_tensor

from tritonops.errors import ClientError, UnavailableError
from tritonops.triton import grpc_messages as messages


def response_of(arrays: dict[str, Any], kinds: dict[str, str]) -> Any:
    """A ModelInferResponse carrying ``arrays`` as raw contents (what Triton sends)."""
    response = service_pb2.ModelInferResponse(model_name="m", model_version="2")
    for name, array in arrays.items():
        response.outputs.add(name=name, datatype=kinds[name], shape=list(array.shape))
        raw = serialize_byte_tensor(array).item() if kinds[name] == "BYTES" else array.tobytes()
        response.raw_output_contents.append(raw)
    return response


def test_requests_carry_names_datatypes_shapes_and_bytes() -> None:
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    words = np.array([b"ab", "cé"], dtype=np.object_)
    request = messages.infer_request("m", {"x": x, "w": words}, "3", outputs=["y"])
    assert (request.model_name, request.model_version) == ("m", "3")
    assert [(t.name, t.datatype, list(t.shape)) for t in request.inputs] == [
        ("x", "FP32", [2, 3]), ("w", "BYTES", [2]),
    ]  # fmt: skip
    assert request.raw_input_contents[0] == x.tobytes()
    assert request.raw_input_contents[1] == b"\x02\x00\x00\x00ab\x03\x00\x00\x00c\xc3\xa9"
    assert [o.name for o in request.outputs] == ["y"]
    assert not messages.infer_request("m", {"x": x}).outputs  # none named: every output


def test_a_config_datatype_overrides_the_arrays() -> None:
    request = messages.infer_request("m", {"x": np.zeros(2, np.uint16)}, datatypes={"x": "BF16"})
    assert request.inputs[0].datatype == "BF16"


def test_lists_become_arrays_and_unknown_dtypes_are_refused() -> None:
    request = messages.infer_request("m", {"x": [1, 2, 3]})
    assert request.inputs[0].datatype == "INT64"
    with pytest.raises(ClientError, match="has no Triton datatype"):
        messages.infer_request("m", {"x": np.zeros(2, np.complex64)})


def test_responses_read_back_as_numpy_by_datatype() -> None:
    y = np.arange(4, dtype=np.int32).reshape(2, 2)
    labels = np.array([b"cat", b"dog"], dtype=np.object_)
    outputs, model, version, endpoint = messages.answer(
        response_of({"y": y, "label": labels}, {"y": "INT32", "label": "BYTES"}), "x", "host:1"
    )
    np.testing.assert_array_equal(outputs["y"], y)
    assert outputs["y"].dtype == np.int32
    assert list(outputs["label"]) == [b"cat", b"dog"]
    assert (model, version, endpoint) == ("m", "2", "host:1")


def test_typed_contents_fall_back_to_tritonclients_reader() -> None:
    response = service_pb2.ModelInferResponse(model_name="m")
    out = response.outputs.add(name="s", datatype="BYTES", shape=[2])
    out.contents.bytes_contents.extend([b"a", b"b"])
    assert list(messages.response_outputs(response)["s"]) == [b"a", b"b"]


class FakeRpcError(grpc.RpcError):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode) -> None:
        super().__init__(code.name)
        self._code = code

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return "the details"


def test_rpc_errors_keep_the_status_and_say_what_to_do() -> None:
    down = messages.rpc_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE), "h:1", "inference", 2.0)
    assert isinstance(down, UnavailableError)
    assert down.status == "StatusCode.UNAVAILABLE"
    assert "check that the server is running" in str(down)
    slow = messages.rpc_error(FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED), "h:1", "x", 2.0)
    assert not isinstance(slow, UnavailableError)
    assert "timed out after 2.0s" in str(slow)
    bad = messages.rpc_error(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT), "h:1", "x", 2.0)
    assert (bad.status, "the details" in str(bad)) == ("StatusCode.INVALID_ARGUMENT", True)


def test_header_names_go_out_lower_case() -> None:
    assert messages.metadata({"X-Id": "1"}) == (("x-id", "1"),)
    assert messages.metadata(None) is None
