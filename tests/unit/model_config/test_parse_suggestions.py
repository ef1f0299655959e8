"""config.pbtxt parse errors name the closest field or enum value of the schema in scope."""

from __future__ import annotations

import pytest

from tritonops.errors import ConfigParseError
from tritonops.model_config import parse_text
from tritonops.repository.validate.newest_schema import parse_newest


def _error(text: str) -> ConfigParseError:
    with pytest.raises(ConfigParseError) as caught:
        parse_text(text, "m/config.pbtxt")
    return caught.value


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("max_batch_sise: 4\n", "did you mean `max_batch_size`?"),
        ('input [ { nme: "x" } ]\n', "did you mean `name`? (a field of ModelInput)"),
        ("dynamic_batching { max_queue_delay: 3 }\n", "`max_queue_delay_microseconds`"),
        ('input [ { name: "x" data_type: FP32 dims: [ 1 ] } ]\n', "did you mean TYPE_FP32?"),
        ('input [ { name: "x" data_type: fp16 dims: [ 1 ] } ]\n', "did you mean TYPE_FP16?"),
        ("instance_group [ { kind: KIND_CPUU } ]\n", "did you mean KIND_CPU?"),
        ("instance_group [ { kind: GPU } ]\n", "did you mean KIND_GPU?"),
    ],
)
def test_the_suggestion_comes_from_the_type_at_that_position(text: str, guess: str) -> None:
    error = _error(text)
    assert guess in error.reason
    assert error.line == 1
    assert error.column is not None
    assert str(error).startswith("m/config.pbtxt:1:")


def test_nothing_close_lists_what_the_type_has() -> None:
    error = _error('input [ { name: "x" data_type: TYPE_FLOAT } ]\n')
    assert "use one of: TYPE_INVALID, TYPE_BOOL" in error.reason
    assert "TYPE_FLOAT" in error.reason


def test_an_unknown_dtype_is_reported_once_with_every_line_using_it() -> None:
    text = (
        'name: "m"\n'
        'input [ { name: "a" data_type: FP32 dims: [ 1 ] } ]\n'
        'input [ { name: "b" data_type: FP32 dims: [ 1 ] } ]\n'
        'output [ { name: "y" data_type: FP32 dims: [ 1 ] } ]\n'
    )
    error = _error(text)
    assert error.line == 2
    assert error.reason.count("did you mean TYPE_FP32?") == 1
    assert "FP32 is also used on lines 3, 4: fix every one" in error.reason


def test_fields_newer_than_the_pinned_schema_are_suggested_too() -> None:
    with pytest.raises(ConfigParseError) as caught:
        parse_newest(
            "model_metrics { metric_control [ { metric_identifer { } } ] }\n", "m/config.pbtxt"
        )
    assert "did you mean `metric_identifier`? (a field of MetricControl)" in caught.value.reason


def test_a_syntax_error_keeps_protobufs_words() -> None:
    error = _error('max_batch_size: "a"\n')
    assert "Couldn't parse integer" in error.reason
    assert "did you mean" not in error.reason
