"""The mirror converts to Triton's protobuf and back without loss, and speaks Triton's strings."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from tritonops.errors import ConfigParseError
from tritonops.model_config import (
    AllVersions,
    DataType,
    DynamicBatching,
    InstanceGroup,
    InstanceKind,
    ModelConfig,
    ModelInput,
    ModelOutput,
    SequenceBatching,
    VersionPolicy,
    from_proto,
    parse_text,
    to_proto,
    to_text,
)


def _config() -> ModelConfig:
    return ModelConfig(
        name="m",
        backend="onnxruntime",
        max_batch_size=8,
        input=[ModelInput(name="x", data_type=DataType.TYPE_FP32, dims=[-1, 4])],
        output=[ModelOutput(name="y", data_type=DataType.TYPE_STRING, dims=[1])],
        dynamic_batching=DynamicBatching(preferred_batch_size=[4, 8]),
        instance_group=[InstanceGroup(kind=InstanceKind.KIND_CPU, count=2)],
        version_policy=VersionPolicy(all=AllVersions()),
        parameters={"intra_op_thread_count": "1"},
    )


def test_round_trip_through_protobuf_is_lossless() -> None:
    config = _config()
    assert from_proto(to_proto(config)) == config


def test_text_form_parses_back_to_the_same_message() -> None:
    message = to_proto(_config())
    assert parse_text(to_text(message)) == message


def test_empty_messages_keep_their_presence() -> None:
    text = to_text(to_proto(_config()))
    assert "all {" in text
    assert 'string_value: "1"' in text


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("fp32", DataType.TYPE_FP32),
        ("FP32", DataType.TYPE_FP32),
        ("TYPE_FP32", DataType.TYPE_FP32),
        ("float32", DataType.TYPE_FP32),
        ("bytes", DataType.TYPE_STRING),
        ("bf16", DataType.TYPE_BF16),
    ],
)
def test_data_types_accept_friendly_spellings(spelling: str, expected: DataType) -> None:
    assert ModelInput(name="x", data_type=spelling, dims=[1]).data_type is expected


def test_unknown_data_type_is_rejected() -> None:
    with pytest.raises(ValidationError):
        ModelInput(name="x", data_type="fp31", dims=[1])


def test_api_names_and_numpy_types() -> None:
    assert DataType.TYPE_STRING.api_name == "BYTES"
    assert DataType.TYPE_FP16.api_name == "FP16"
    assert DataType.TYPE_INT64.numpy == np.dtype(np.int64)
    assert DataType.TYPE_BF16.numpy is None
    assert DataType.from_numpy(np.float32) is DataType.TYPE_FP32
    assert DataType.from_numpy(np.dtype(object)) is DataType.TYPE_STRING


def test_one_scheduler_only() -> None:
    with pytest.raises(ValidationError, match="one scheduler"):
        ModelConfig(
            name="m", dynamic_batching=DynamicBatching(), sequence_batching=SequenceBatching()
        )


def test_parse_error_names_file_line_and_column() -> None:
    with pytest.raises(ConfigParseError) as info:
        parse_text('name: "m"\nmax_batch_sizee: 8\n', "m/config.pbtxt")
    error = info.value
    assert (error.file, error.line, error.column) == ("m/config.pbtxt", 2, 1)
    assert "max_batch_sizee" in error.reason
    assert str(error).startswith("m/config.pbtxt:2:1: ")
