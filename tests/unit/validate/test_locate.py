"""The field-path locator: lines of fields in every text-format spelling."""

from __future__ import annotations

import pytest

from tritonops.repository.locate import ConfigLines, field_path, key

TEXT = """\
name: "e"  # comment with { braces
platform: "ensemble"
input [
  {
    name: "IN"
    dims: [ 4,
      -1 ]
  },
  { name: "B" }
]
ensemble_scheduling {
  step [
    {
      model_name: "a"
      input_map { key: "x" value: "IN" }
      input_map {
        key: "y"
        value: "B" }
    },
    { model_name: "b" }
  ]
}
model_warmup < inputs { key: "IN" value: { dims: 3 data_type: TYPE_FP32 } } >
parameters { key: "P" value: { string_value: 'x' } }
dynamic_batching { priority_queue_policy { key: 2 value { } } }
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("name", 1),
        ("platform", 2),
        ("input[0]", 4),
        ("input[0].dims[1]", 7),
        ("input[1].name", 9),
        ('ensemble_scheduling.step[0].input_map["y"]', 16),
        ("ensemble_scheduling.step[1].model_name", 20),
        ('model_warmup[0].inputs["IN"].data_type', 23),
        ('parameters["P"]', 24),
        ('dynamic_batching.priority_queue_policy["2"]', 25),
        ("ensemble_scheduling.step[7].model_name", 13),  # falls back to the first step
        ("input[0].format", 4),
        ("output", None),
        ("", None),
    ],
)
def test_lines(path: str, line: int | None) -> None:
    assert ConfigLines(TEXT).line(path) == line


def test_builders() -> None:
    assert field_path("input", 1, "dims") == "input[1].dims"
    assert field_path("ensemble_scheduling", "step", 0, "input_map", key('A"B')) == (
        'ensemble_scheduling.step[0].input_map["A\\"B"]'
    )


def test_garbage_does_not_raise() -> None:
    assert ConfigLines("}}} ::: [ { name").line("name") is None
