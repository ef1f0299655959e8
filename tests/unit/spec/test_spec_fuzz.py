"""Whatever the file holds, ``load_project`` gives a Project or a SpecError with located issues.

Three sources of input: random YAML documents, structural mutations of the full example project
(deleted, renamed, retyped keys, out-of-range numbers), and byte-level damage to its text.
"""

from __future__ import annotations

import shutil
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_helpers import FULL

from tritonops.errors import SpecError
from tritonops.spec import load_project, plan_models

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FULL_TEXT = (FULL / "tritonops.yaml").read_text()
FULL_DATA: dict[str, Any] = yaml.safe_load(FULL_TEXT)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["onnx", "python", "ensemble", "fp32", "KIND_GPU", "model.py", "a/b", "1.30"]),
)
keys = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-3, max_value=3),
    st.booleans(),
    st.sampled_from(["name", "kind", "source", "models", "steps", "inputs", "dims", "versions"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the full example (its sources exist) that every example overwrites."""
    target = tmp_path_factory.mktemp("fuzz") / "full"
    shutil.copytree(FULL, target)
    return target / "tritonops.yaml"


def _check(path: Path) -> None:
    try:
        project = load_project(path)
    except SpecError as exc:
        issues = exc.issues
    else:
        plan_models(project)
        return
    assert issues
    for issue in issues:
        assert issue.file == str(path)
        assert issue.line is not None, str(issue)
        assert issue.line >= 1, str(issue)
        assert issue.column is not None, str(issue)
        assert issue.column >= 1, str(issue)
        assert issue.message


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


ALL_PATHS = _paths(FULL_DATA)[1:]


def _mutate(data: Any, path: tuple[Any, ...], operation: str, replacement: Any) -> Any:
    """Apply one mutation at ``path`` inside a deep copy of ``data``."""
    copy = deepcopy(data)
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if operation == "delete":
        del parent[last]
    elif operation == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    elif operation == "negate" and isinstance(parent[last], int):
        parent[last] = -parent[last] - 1
    elif operation == "huge":
        parent[last] = 10**40
    elif operation == "wrap":
        parent[last] = [parent[last]]
    else:
        parent[last] = replacement
    return copy


@FUZZ
@given(document=values)
def test_random_documents(project_dir: Path, document: Any) -> None:
    project_dir.write_text(yaml.safe_dump(document, sort_keys=False))
    _check(project_dir)


@FUZZ
@given(
    mutations=st.lists(
        st.tuples(
            st.sampled_from(ALL_PATHS),
            st.sampled_from(["delete", "rename", "negate", "huge", "wrap", "replace"]),
            values,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_mutated_full_project(
    project_dir: Path, mutations: list[tuple[tuple[Any, ...], str, Any]]
) -> None:
    data: Any = FULL_DATA
    for path, operation, replacement in mutations:
        try:
            data = _mutate(data, path, operation, replacement)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or retyped this path
    project_dir.write_text(yaml.safe_dump(data, sort_keys=False))
    _check(project_dir)


@FUZZ
@given(
    position=st.integers(min_value=0, max_value=len(FULL_TEXT.encode())),
    cut=st.integers(min_value=0, max_value=40),
    garbage=st.binary(max_size=12),
)
def test_damaged_bytes(project_dir: Path, position: int, cut: int, garbage: bytes) -> None:
    raw = FULL_TEXT.encode()
    project_dir.write_bytes(raw[:position] + garbage + raw[position + cut :])
    _check(project_dir)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes(project_dir: Path, raw: bytes) -> None:
    project_dir.write_bytes(raw)
    _check(project_dir)
