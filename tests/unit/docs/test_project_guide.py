"""The hand-written project guide states facts the code holds: its data-type table, its parity
tolerances, and its YAML snippets (valid against the project file's schema)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tritonops.model_config import DataType
from tritonops.spec.onnx_build import OnnxBuild
from tritonops.spec.schema import project_schema

ROOT = Path(__file__).resolve().parents[3]
GUIDE = (ROOT / "docs" / "project-guide.md").read_text(encoding="utf-8")


def _rows(after: str) -> list[list[str]]:
    """The body rows of the first table after the line containing ``after``."""
    lines = GUIDE[GUIDE.index(after) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_every_data_type_spelling_in_the_guide_parses_to_its_type() -> None:
    rows = _rows("Data types take Triton's names")
    assert len(rows) >= 5
    for spellings, target in rows:
        wanted = re.findall(r"`(\w+)`", target)[0]
        words = re.findall(r"`(\w+)`", spellings)
        if "..." in spellings:  # a range row: its first word and Triton's first name agree
            words = words[:1]
        for word in words:
            assert DataType(word).value == wanted, (word, wanted)


def test_parity_defaults_in_the_guide_are_the_builders() -> None:
    options = {
        "plain export or conversion": OnnxBuild(),
        "`fp16: true`": OnnxBuild(fp16=True),
        "`quantize: int8_dynamic`": OnnxBuild(quantize="int8_dynamic"),
    }
    rows = _rows("Unset tolerances follow the transform")
    assert [r[0] for r in rows] == list(options)
    for transform, atol, rtol, min_top1 in rows:
        tolerance = options[transform].tolerance()
        assert (float(atol), float(rtol), float(min_top1)) == (
            tolerance.atol,
            tolerance.rtol,
            tolerance.min_top1,
        )


def _complete_yaml_blocks() -> list[Any]:
    blocks = re.findall(r"^```yaml\n(.*?)^```", GUIDE, flags=re.S | re.M)
    return [yaml.safe_load(b) for b in blocks if "..." not in b]


def test_the_guide_has_complete_snippets() -> None:
    assert len(_complete_yaml_blocks()) >= 4


@pytest.mark.parametrize("document", _complete_yaml_blocks())
def test_guide_snippets_fit_the_schema(document: Any) -> None:
    assert isinstance(document, dict)
    validator = jsonschema.Draft202012Validator(project_schema())
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not problems, problems
