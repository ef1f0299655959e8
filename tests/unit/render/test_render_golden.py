"""Golden config.pbtxt files: one per model kind and per option family.

Each case in ``render_cases.py`` renders (which includes the round trip through Triton's schema)
and must equal ``golden/<case>.pbtxt`` byte for byte. After an intended change to the templates,
regenerate the files and review the diff:

    TRITONOPS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/render
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from render_cases import CASES

from tritonops.model_config import ModelConfig
from tritonops.model_config.config import SecondaryDevice
from tritonops.repository.render import render_config

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TRITONOPS_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_config_matches_golden(case: str) -> None:
    text = render_config(CASES[case]())
    golden = GOLDEN / f"{case}.pbtxt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden for {case}; run with TRITONOPS_UPDATE_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8")


def test_every_golden_file_has_a_case() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.pbtxt")) == sorted(CASES)


def test_every_model_kind_has_a_golden() -> None:
    kinds = {CASES[case]().kind for case in CASES}
    assert kinds == {"onnx", "python", "tensorrt_llm", "vllm", "ensemble"}


# Fields whose only legal value is their default, so no case can move them.
_ONLY_DEFAULT = {(SecondaryDevice, "kind")}


def _messages(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (list, dict, Union, UnionType):
        return [m for arg in get_args(annotation) for m in _messages(arg)]
    return []


def _all_fields(root: type[BaseModel]) -> set[tuple[type[BaseModel], str]]:
    found: set[tuple[type[BaseModel], str]] = set()
    todo, seen = [root], set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for name, info in cls.model_fields.items():
            single_enum = (
                isinstance(info.annotation, type)
                and issubclass(info.annotation, Enum)
                and len(info.annotation) == 1
            )
            if not info.is_required() and not single_enum and (cls, name) not in _ONLY_DEFAULT:
                found.add((cls, name))
            todo += _messages(info.annotation)
    return found


def _moved_fields(value: object, into: set[tuple[type[BaseModel], str]]) -> None:
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            field_value = getattr(value, name)
            if field_value != info.get_default(call_default_factory=True):
                into.add((type(value), name))
            _moved_fields(field_value, into)
    elif isinstance(value, list):
        for item in value:
            _moved_fields(item, into)
    elif isinstance(value, dict):
        for item in value.values():
            _moved_fields(item, into)


def test_cases_cover_every_field() -> None:
    """A field added to the mirror fails here until a case (and so a golden) renders it."""
    moved: set[tuple[type[BaseModel], str]] = set()
    for case in CASES.values():
        _moved_fields(case().config, moved)
    missing = sorted(f"{cls.__name__}.{name}" for cls, name in _all_fields(ModelConfig) - moved)
    assert missing == []
