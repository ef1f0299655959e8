"""Model names and versions Triton can serve, checked when the project file loads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from spec_helpers import LoadIssues, at, where

from tritonops.cli.main import cli


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('"my model"', "' '"),
        ('"a\\nb"', "'\\n'"),
        ('"{{ config }}"', "' ', '{', '}'"),
        ('"naïve"', "'ï'"),
        ('"50%"', "'%'"),
        ('"tab\\there"', "'\\t'"),
    ],
)
def test_a_name_triton_cannot_serve_by_url_is_refused(
    issues_of: LoadIssues, name: str, shown: str
) -> None:
    issues = issues_of(f"models:\n  - {{name: {name}, kind: python, source: model.py}}\n")
    issue = at(issues, "models[0].name")
    assert where(issue) == (2, 12)
    assert f"{shown} cannot appear in Triton's URL /v2/models/<name> unescaped" in issue.message
    assert issue.fix == "use letters, digits, '-', '_' and '.'"


def test_hidden_and_overlong_names_are_refused(issues_of: LoadIssues) -> None:
    issues = issues_of(
        f"""
        models:
          - {{name: .hidden, kind: python, source: model.py}}
          - {{name: {"a" * 256}, kind: python, source: model.py}}
          - {{name: {"a" * 255}, kind: python, source: model.py}}
        """
    )
    assert at(issues, "models[0].name").message == "'.hidden' would be a hidden folder"
    assert "256 bytes, over the 255" in at(issues, "models[1].name").message
    assert [i.path for i in issues] == ["models[0].name", "models[1].name"]


def test_names_with_url_safe_punctuation_load(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: "resnet50_v1.5-int8~a:b@c+d", kind: python, source: model.py}
          - {name: "bad name", kind: python, source: model.py}
        """
    )
    assert [i.path for i in issues] == ["models[1].name"]


def test_versions_must_fit_int64(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: model.py, versions: [9223372036854775807]}
          - {name: b, kind: python, source: model.py, versions: [1, 9223372036854775808]}
          - {name: c, kind: python, source: model.py, versions: [0]}
        """
    )
    big = at(issues, "models[1].versions[1]")
    assert where(big) == (3, 61)
    assert "9223372036854775807" in big.message
    assert "models[2].versions[0]" in [i.path for i in issues]
    assert "models[0].versions[0]" not in [i.path for i in issues]


def test_render_refuses_a_bad_name_before_writing(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("", encoding="utf-8")
    project = tmp_path / "tritonops.yaml"
    project.write_text(
        textwrap.dedent(
            """
            models:
              - {name: "{{ 7*7 }}", kind: python, source: model.py,
                 versions: [99999999999999999999]}
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "repo"
    result = CliRunner().invoke(cli, ["render", "-f", str(project), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "tritonops.yaml:3:12: models[0].name" in result.output
    assert "models[0].name" in result.output
    assert "models[0].versions[0]" in result.output
    assert not out.exists()
