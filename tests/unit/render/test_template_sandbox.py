"""Override templates are untrusted: they run sandboxed and fail located instead of running code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2.sandbox import ImmutableSandboxedEnvironment
from render_cases import onnx_model

from tritonops.cli.main import cli
from tritonops.errors import RenderError
from tritonops.repository.render import TemplateSet, render_config
from tritonops.spec.plan import ModelPlan

KIND_HEAD = "{% extends 'base.pbtxt.j2' %}\n{% block header %}\n"
KIND_TAIL = "\n{% endblock %}\n"


def _hostile(marker: Path) -> dict[str, str]:
    """Expressions that, unsandboxed, create ``marker`` (or read files)."""
    cmd = f"touch {marker}"
    return {
        "cycler globals": f"{{{{ cycler.__init__.__globals__.os.system('{cmd}') }}}}",
        "lipsum globals": f"{{{{ lipsum.__globals__['os'].system('{cmd}') }}}}",
        "self init": f"{{{{ self.__init__.__globals__.__builtins__.open('{marker}', 'w') }}}}",
        "class walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "path write": "{% for f in plan.version_files.values() %}"
        f"{{{{ f.with_name('{marker.name}').write_text('x') }}}}{{% endfor %}}",
        "path read": "{% for f in plan.version_files.values() %}{{ f.read_text() }}{% endfor %}",
        "dict mutate": "{{ config.update({'name': 'other'}) }}",
        "huge string": "{{ 'x' * 1000000000000 }}",
        "include outside": "{% include '../src/pwned-source.txt' %}",
        "huge power": "{{ 10 ** 1000000000 }}",
    }


def _plan_with_file(tmp_path: Path) -> ModelPlan:
    source = tmp_path / "src" / "model.onnx"
    source.parent.mkdir()
    source.write_bytes(b"onnx")
    (source.parent / "pwned-source.txt").write_text("top secret", encoding="utf-8")
    plan = onnx_model()
    return ModelPlan(plan.config, plan.kind, plan.versions, {"model.onnx": source}, {})


@pytest.mark.parametrize("case", list(_hostile(Path("m"))))
def test_a_hostile_override_runs_nothing_and_is_located(tmp_path: Path, case: str) -> None:
    marker = tmp_path / "src" / "pwned"
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "onnx.pbtxt.j2").write_text(KIND_HEAD + _hostile(marker)[case] + KIND_TAIL)
    with pytest.raises(RenderError) as caught:
        render_config(_plan_with_file(tmp_path), TemplateSet(overrides))
    assert not marker.exists()
    message = str(caught.value)
    assert f"{overrides / 'onnx.pbtxt.j2'}:3" in message, message
    assert "top secret" not in message
    assert "model 'resnet50'" in message


def test_a_path_still_prints_as_its_text(tmp_path: Path) -> None:
    overrides = tmp_path / "templates"
    overrides.mkdir()
    shown = "# {{ plan.version_files['model.onnx'] }}"
    (overrides / "onnx.pbtxt.j2").write_text(KIND_HEAD + shown + KIND_TAIL)
    text = render_config(_plan_with_file(tmp_path), TemplateSet(overrides))
    assert text.startswith(f"# {tmp_path / 'src' / 'model.onnx'}\n")


def test_our_own_templates_render_in_the_sandbox() -> None:
    assert isinstance(TemplateSet().environment, ImmutableSandboxedEnvironment)
    assert 'name: "resnet50"' in render_config(onnx_model())


def test_render_command_refuses_a_hostile_override(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "model.py").write_text("class TritonPythonModel:\n    pass\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "python.pbtxt.j2").write_text(
        KIND_HEAD + _hostile(marker)["cycler globals"] + KIND_TAIL
    )
    project = tmp_path / "tritonops.yaml"
    project.write_text(
        textwrap.dedent(
            """
            templates: templates
            models:
              - {name: m, kind: python, source: model.py}
            """
        )
    )
    # build renders the repository once the model is stored; render then lays out the same store
    out = tmp_path / "r"
    for args in (["build", "-f", str(project)], ["render", "-f", str(project), "--out", str(out)]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert not marker.exists()
        assert f"{tmp_path / 'templates' / 'python.pbtxt.j2'}:3" in result.output
        assert "sandboxed" in result.output
        assert "Traceback" not in result.output
    assert not out.exists()
    assert not (tmp_path / "model_repository").exists()
