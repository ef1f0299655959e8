"""The boundary's rules: status codes classify failures (never text); one dtype map."""

from __future__ import annotations

import numpy as np
import pytest
from tritonclient.utils import InferenceServerException

from tritonops.errors import ClientError, DeployError, PerfError, ServerError, UnavailableError
from tritonops.server.ports import free_port
from tritonops.triton import rest
from tritonops.triton.dtypes import datatype, numpy_dtype
from tritonops.triton.failures import (
    CallFailure,
    classify,
    reraised,
    translated,
    tritonclient_errors,
)
from tritonops.triton.requests import infer_inputs, requested_outputs


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        ("404", CallFailure.NOT_FOUND),  # http_server.cc: TRITONSERVER_ERROR_NOT_FOUND -> 404
        ("StatusCode.NOT_FOUND", CallFailure.NOT_FOUND),
        ("StatusCode.UNAVAILABLE", CallFailure.UNREACHABLE),
        ("StatusCode.DEADLINE_EXCEEDED", CallFailure.UNREACHABLE),
        ("400", CallFailure.REJECTED),  # an invalid argument or a failed load
        ("StatusCode.INVALID_ARGUMENT", CallFailure.REJECTED),
        (None, CallFailure.REJECTED),
    ],
)
def test_failures_are_classified_by_status_code(status: str | None, failure: CallFailure) -> None:
    assert classify(status) is failure


def test_the_message_text_never_classifies() -> None:
    # Triton 2.51 answers a failed load 400 with "... is at UNAVAILABLE state: ..."
    exc = InferenceServerException("version 1 is at UNAVAILABLE state: boom", status="400")
    error = translated(exc, "h:1", "loading 'm'")
    assert type(error) is ClientError
    assert error.status == "400"


@pytest.mark.parametrize("status", ["503", "StatusCode.UNAVAILABLE"])
def test_unavailable_statuses_are_retryable(status: str) -> None:
    error = translated(InferenceServerException("busy", status=status), "h:1", "inference")
    assert isinstance(error, UnavailableError)
    assert error.status == status


def test_socket_failures_and_timeouts() -> None:
    refused = translated(ConnectionRefusedError(111, "refused"), "h:1", "inference")
    assert isinstance(refused, UnavailableError)
    assert "check that the server is running" in str(refused)
    timeout = translated(TimeoutError(), "h:1", "inference", timeout_s=2.0)
    assert type(timeout) is ClientError
    assert timeout.status == "TIMEOUT"
    assert "after 2.0s" in str(timeout)


def test_tritonclient_errors_translates_once() -> None:
    with pytest.raises(ClientError) as info, tritonclient_errors("h:1", "reading the config"):
        raise InferenceServerException("unknown model", status="404")
    assert info.value.status == "404"
    assert isinstance(info.value.__cause__, InferenceServerException)


def test_reraised_keeps_the_servers_words_and_passes_our_errors() -> None:
    expected = r"^loading 'm' failed: bad config$"
    with pytest.raises(PerfError, match=expected), reraised(PerfError, "loading 'm' failed"):
        raise InferenceServerException("bad config", status="400")
    with pytest.raises(DeployError, match="mine"), reraised(PerfError):
        raise DeployError("mine")
    refused = r"no answer \(ConnectionRefusedError"
    with pytest.raises(DeployError, match=refused), reraised(DeployError):
        raise ConnectionRefusedError(111, "refused")


# KServe v2 tensor datatypes (kserve required_api.md "Tensor Data Types"; Triton's
# docs/user_guide/model_configuration.md "Datatypes" lists the same API names)
@pytest.mark.parametrize(
    ("dtype", "name"),
    [
        (np.bool_, "BOOL"),
        (np.uint8, "UINT8"),
        (np.uint16, "UINT16"),
        (np.uint32, "UINT32"),
        (np.uint64, "UINT64"),
        (np.int8, "INT8"),
        (np.int16, "INT16"),
        (np.int32, "INT32"),
        (np.int64, "INT64"),
        (np.float16, "FP16"),
        (np.float32, "FP32"),
        (np.float64, "FP64"),
        (np.object_, "BYTES"),
    ],
)
def test_one_dtype_map_both_ways(dtype: type, name: str) -> None:
    assert datatype(np.dtype(dtype)) == name
    if name != "BYTES":
        assert numpy_dtype(name) == np.dtype(dtype)


def test_types_without_a_numpy_twin_and_unknown_ones() -> None:
    assert numpy_dtype("BYTES") is None  # length-prefixed elements
    assert numpy_dtype("BF16") is None  # numpy has no bfloat16
    assert numpy_dtype("FP8") is None
    with pytest.raises(ClientError, match="complex64 has no Triton datatype — send bool"):
        datatype(np.dtype(np.complex64))


def test_request_building_names_datatypes_and_outputs() -> None:
    arrays = {"x": np.zeros((2, 4), np.float32), "ids": np.zeros((1, 3), np.int32)}
    http = infer_inputs("http", arrays, {"ids": "INT32"})
    assert [(i.name(), i.shape(), i.datatype()) for i in http] == [
        ("x", [2, 4], "FP32"),
        ("ids", [1, 3], "INT32"),
    ]
    # a config's datatype that the array does not have is refused before anything is sent
    with pytest.raises(InferenceServerException, match="expected INT64"):
        infer_inputs("grpc", {"ids": arrays["ids"]}, {"ids": "INT64"})
    assert requested_outputs("grpc", []) is None  # every output
    assert [o.name() for o in requested_outputs("aio", ["y"]) or []] == ["y"]


def test_no_answer_is_bounded_and_names_the_url() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(rest.NoAnswer, match=f"127.0.0.1:{port}/v2/health/live") as info:
        rest.request(f"127.0.0.1:{port}", "/v2/health/live", timeout_s=2.0)
    assert not info.value.timed_out
    assert rest.live(f"127.0.0.1:{port}") is False


def test_file_overrides_need_a_config_override() -> None:
    with pytest.raises(Exception, match="needs a config override too"):
        rest.load("127.0.0.1:1", "m", files={"1/model.onnx": b"x"})


@pytest.mark.parametrize("url", ["http://[::1", "ftp://x:1"])
def test_an_address_that_is_not_http_is_refused_before_any_call(url: str) -> None:
    with pytest.raises(ServerError, match="is not a Triton HTTP address — give host:port"):
        rest.request(url, "/v2")
