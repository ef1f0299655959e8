"""Helpers for spec tests: write a project file into tmp_path, load it, find an issue by path."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import FULL, LoadIssues, WriteProject

from tritonops.errors import SpecError, SpecIssue
from tritonops.spec import Project, load_project


@pytest.fixture
def full_project(tmp_path: Path) -> Path:
    """A private copy of the full example project; returns its tritonops.yaml."""
    target = tmp_path / "full"
    shutil.copytree(FULL, target)
    return target / "tritonops.yaml"


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write dedented YAML to tmp_path/tritonops.yaml (plus a model.py and a.onnx to point at)."""
    (tmp_path / "model.py").write_text("class TritonPythonModel:\n    pass\n")
    (tmp_path / "a.onnx").write_bytes(b"onnx")

    def write(text: str) -> Path:
        path = tmp_path / "tritonops.yaml"
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def issues_of(write_project: WriteProject) -> LoadIssues:
    """Load YAML text that must fail; returns its issues."""

    def load(text: str) -> list[SpecIssue]:
        path = write_project(text)
        with pytest.raises(SpecError) as caught:
            load_project(path)
        return caught.value.issues

    return load


@pytest.fixture
def project_of(write_project: WriteProject) -> Callable[[str], Project]:
    """Load YAML text that must be valid."""

    def load(text: str) -> Project:
        return load_project(write_project(text))

    return load
