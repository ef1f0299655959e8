"""Template sets: project overrides, StrictUndefined, Jinja errors, and proof the check can fail."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest
from render_cases import io, onnx_model, parameters

from tritonops.errors import RenderError
from tritonops.repository.render import TemplateSet, render_config
from tritonops.spec.plan import ModelPlan

PACKAGE = importlib.resources.files("tritonops.templates")


def _package_template(name: str) -> str:
    return PACKAGE.joinpath(name).read_text(encoding="utf-8")


def test_templates_ship_as_package_data() -> None:
    top = {p.name for p in PACKAGE.iterdir()}
    partials = {p.name for p in PACKAGE.joinpath("partials").iterdir()}
    kinds = {f"{k}.pbtxt.j2" for k in ("onnx", "python", "tensorrt_llm", "ensemble")}
    assert kinds | {"base.pbtxt.j2"} <= top
    assert {"_io.j2", "_batching.j2", "_sequence.j2", "_ensemble.j2", "_warmup.j2"} <= partials
    assert TemplateSet().kinds() == ["ensemble", "onnx", "python", "tensorrt_llm", "vllm"]


def _override(folder: Path, name: str, text: str) -> TemplateSet:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return TemplateSet(folder)


def _multiline_parameters() -> str:
    return (
        "{% for key, value in config.parameters.items() %}\n"
        "parameters {\n"
        "  key: {{ key | pbstr }}\n"
        "  value { string_value: {{ value.string_value | pbstr }} }\n"
        "}\n"
        "{% endfor %}\n"
    )


@pytest.mark.parametrize("name", ["_parameters.j2", "partials/_parameters.j2"])
def test_a_project_overrides_a_partial_by_file_name_or_path(tmp_path: Path, name: str) -> None:
    templates = _override(tmp_path, name, _multiline_parameters())
    text = render_config(parameters(), templates)
    assert '\nparameters {\n  key: "unicode"\n' in text
    assert templates.overridden() == ["partials/_parameters.j2"]
    assert "parameters { key:" not in text


def test_a_project_overrides_a_kind_template_and_extends_the_base(tmp_path: Path) -> None:
    kind = (
        "{% extends 'base.pbtxt.j2' %}\n"
        "{% block header %}\n# owned by team vision\n{% endblock %}\n"
    )
    text = render_config(onnx_model(), _override(tmp_path, "onnx.pbtxt.j2", kind))
    assert text.startswith('# owned by team vision\nname: "resnet50"\n')


def test_the_round_trip_catches_a_template_that_drops_a_field(tmp_path: Path) -> None:
    field = "    label_filename: {{ tensor.label_filename | pbstr }}\n"
    dropped = _package_template("partials/_io.j2").replace(field, "")
    with pytest.raises(RenderError) as caught:
        render_config(onnx_model(), _override(tmp_path, "_io.j2", dropped))
    message = str(caught.value)
    assert "model 'resnet50'" in message
    assert "onnx.pbtxt.j2" in message
    assert "partials/_io.j2" in message  # the override in play is named
    assert "--- expected (resnet50)" in message
    assert "+++ rendered" in message
    assert '-  label_filename: "labels.txt"' in message


def test_the_round_trip_catches_a_template_that_changes_a_value(tmp_path: Path) -> None:
    changed = _package_template("partials/_io.j2").replace(
        "dims: {{ tensor.dims | pblist }}", "dims: [ 7 ]"
    )
    with pytest.raises(RenderError, match=r"-  dims: 1000\n\+  dims: 7"):
        render_config(onnx_model(), _override(tmp_path, "partials/_io.j2", changed))


def test_text_the_schema_rejects_names_the_line(tmp_path: Path) -> None:
    broken = (
        "{% extends 'base.pbtxt.j2' %}\n"
        '{% block max_batch_size %}\nmax_batch_size: "eight"\n{% endblock %}\n'
    )
    with pytest.raises(
        RenderError,
        match=r"schema rejects: resnet50/config\.pbtxt:\d+:\d+: .*\n  max_batch_size: \"eight\"",
    ):
        render_config(
            onnx_model(), _override(tmp_path, "onnx.pbtxt.j2", broken), "resnet50/config.pbtxt"
        )


def test_an_undefined_variable_names_the_template_and_line(tmp_path: Path) -> None:
    text = (
        "{% if config.dynamic_batching is defined %}\n"
        "dynamic_batching { max_queue_delay_microseconds: {{ config.dynamic_batching.delay }} }\n"
        "{% endif %}\n"
    )
    templates = _override(tmp_path, "_batching.j2", text)
    with pytest.raises(RenderError) as caught:
        render_config(onnx_model(), templates)
    message = str(caught.value)
    assert f"{tmp_path / '_batching.j2'}:2" in message
    assert "has no attribute 'delay'" in message
    assert "is defined" in message  # the fix


def test_a_field_at_its_default_is_undefined_not_silently_empty(tmp_path: Path) -> None:
    templates = _override(tmp_path, "_warmup.j2", "# {{ config.model_warmup }}\n")
    with pytest.raises(RenderError, match=r"_warmup\.j2:1"):
        render_config(onnx_model(), templates)


def test_a_syntax_error_in_an_override_names_the_file_and_line(tmp_path: Path) -> None:
    templates = _override(tmp_path, "partials/_sequence.j2", "{# fine #}\n\n{% if %}\n")
    with pytest.raises(RenderError, match=r"_sequence\.j2:3"):
        render_config(io(), templates)


def test_an_override_including_a_missing_partial_says_so(tmp_path: Path) -> None:
    templates = _override(tmp_path, "_warmup.j2", "{% include 'partials/_nope.j2' %}\n")
    with pytest.raises(RenderError, match=r"includes 'partials/_nope\.j2'"):
        render_config(onnx_model(), templates)


def test_an_unknown_kind_lists_the_kinds() -> None:
    plan = ModelPlan(config=onnx_model().config, kind="tensorflow")
    with pytest.raises(RenderError, match=r"no template for kind 'tensorflow'.*ensemble, onnx"):
        render_config(plan)


def test_a_missing_override_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="does not exist"):
        TemplateSet(tmp_path / "templates")


def test_an_empty_override_folder_changes_nothing(tmp_path: Path) -> None:
    assert render_config(io(), TemplateSet(tmp_path)) == render_config(io())
    assert TemplateSet(tmp_path).overridden() == []
