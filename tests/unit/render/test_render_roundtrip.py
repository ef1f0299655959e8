"""The round trip: whatever the config holds, the rendered text parses back to exactly it."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from render_strategies import float32, model_configs

from tritonops.model_config import (
    EnsembleScheduling,
    EnsembleStep,
    Latest,
    ModelConfig,
    StrategyDirect,
    VersionPolicy,
    parse_text,
    to_proto,
)
from tritonops.model_config.config import SequenceBatching
from tritonops.repository.render import pbbool, pbfloat, pblist, pbstr, render_config
from tritonops.spec.plan import ModelPlan


@settings(max_examples=150, deadline=None)
@given(config=model_configs(), kind=st.sampled_from(["onnx", "python", "tensorrt_llm", "ensemble"]))
def test_any_config_renders_and_parses_back_equal(config: ModelConfig, kind: str) -> None:
    text = render_config(ModelPlan(config=config, kind=kind))
    assert parse_text(text) == to_proto(config)


@settings(max_examples=300, deadline=None)
@given(value=st.text())
def test_pbstr_parses_back_to_the_same_string(value: str) -> None:
    assert parse_text(f"name: {pbstr(value)}").name == value


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('say "hi"', r'"say \"hi\""'),
        ("C:\\models", r'"C:\\models"'),
        ("two\nlines\r\tend", r'"two\nlines\r\tend"'),
        ("café ✓ 模型", '"café ✓ 模型"'),
        (
            "nul\x00 bell\x07 nbsp\u00a0 sep\u2028",
            r'"nul\000 bell\007 nbsp\302\240 sep\342\200\250"',
        ),
        ("", '""'),
    ],
)
def test_pbstr_escapes(value: str, written: str) -> None:
    assert pbstr(value) == written


def _f32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


@pytest.mark.parametrize(
    "value", [0.1, 0.3, 1e-45, 3.4028234663852886e38, -2.5, 0.30000001192092896]
)
def test_float_fields_parse_back_to_the_same_float32(value: float) -> None:
    config = ModelConfig(
        name="m",
        sequence_batching=SequenceBatching(direct=StrategyDirect(minimum_slot_utilization=value)),
    )
    text = render_config(ModelPlan(config=config, kind="onnx"))
    parsed = parse_text(text).sequence_batching.direct.minimum_slot_utilization
    assert (
        parsed == _f32(value) == to_proto(config).sequence_batching.direct.minimum_slot_utilization
    )


@settings(max_examples=200, deadline=None)
@given(value=float32)
def test_pbfloat_parses_back_to_the_same_float32(value: float) -> None:
    message = parse_text(
        f"sequence_batching {{ direct {{ minimum_slot_utilization: {pbfloat(value)} }} }}"
    )
    assert message.sequence_batching.direct.minimum_slot_utilization == _f32(value)


def test_list_and_bool_filters() -> None:
    assert pblist([]) == "[ ]"
    assert pblist([-1, 3]) == "[ -1, 3 ]"
    assert pblist(["a", 'b"']) == '[ "a", "b\\"" ]'
    assert pblist([True, False]) == "[ true, false ]"
    assert pblist([0.5]) == "[ 0.5 ]"
    assert pbbool(True) == "true"


@pytest.mark.parametrize(
    ("apply", "value"),
    [
        (pbstr, 3),
        (pbbool, "true"),
        (pbfloat, "1.0"),
        (pbfloat, True),
        (pblist, "ab"),
        (pblist, [None]),
    ],
)
def test_filters_refuse_values_of_the_wrong_type(apply: object, value: object) -> None:
    assert callable(apply)
    with pytest.raises(TypeError):
        apply(value)


@pytest.mark.parametrize(
    ("config", "line"),
    [
        (
            ModelConfig(
                name="e",
                platform="ensemble",
                ensemble_scheduling=EnsembleScheduling(step=[EnsembleStep(model_name="m")]),
            ),
            "model_version: -1",  # else Triton requires version 0 of the step model
        ),
        (
            ModelConfig(name="m", version_policy=VersionPolicy(latest=Latest())),
            "num_versions: 1",  # else "at least one version must be available"
        ),
    ],
)
def test_mirror_defaults_that_differ_from_the_protos_reach_the_file(
    config: ModelConfig, line: str
) -> None:
    assert line in render_config(ModelPlan(config=config, kind="onnx"))
