"""Problems found before any schema applies: unreadable files, YAML syntax, duplicate keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import LoadIssues, WriteProject, at, where

from tritonops.errors import SpecError
from tritonops.spec import load_project


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_project(tmp_path / "nope.yaml")
    (issue,) = caught.value.issues
    assert issue.file == str(tmp_path / "nope.yaml")
    assert issue.line is None
    assert "cannot read the project file" in issue.message


def test_a_folder_is_not_a_project_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the project file"):
        load_project(tmp_path)


def test_file_name_is_reported_as_given(
    write_project: WriteProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_project("models: 3\n")
    monkeypatch.chdir(path.parent)
    with pytest.raises(SpecError) as caught:
        load_project(Path("tritonops.yaml"))
    assert str(caught.value) == (
        "tritonops.yaml:1:9: models: expected a list, got the number 3"
        " — write a YAML list ('- item' per line)"
    )


def test_syntax_error_has_its_line_and_column(issues_of: LoadIssues) -> None:
    (issue,) = issues_of(
        """
        models:
          - name: a
            kind: [onnx
        """
    )
    assert where(issue) == (4, 1)
    assert issue.path == ""
    assert issue.message.startswith("YAML syntax error: while parsing a flow sequence")


def test_bad_indentation(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("models:\n  - name: a\n   kind: onnx\n")
    assert where(issue) == (3, 4)
    assert issue.message == (
        "YAML syntax error: while parsing a block collection;"
        " expected <block end>, but found '<block mapping start>'"
    )


def test_duplicate_keys_are_reported_at_the_repeat(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: python
            source: model.py
            max_batch_size: 4
            max_batch_size: 8
        """
    )
    issue = at(issues, "models[0].max_batch_size")
    assert where(issue) == (6, 5)
    assert issue.message == (
        "duplicate key 'max_batch_size' (first at line 5); YAML keeps only the last one"
    )
    assert issue.fix == "remove or merge one of them"


def test_duplicate_top_level_keys(issues_of: LoadIssues) -> None:
    issues = issues_of("models: []\nrepository: a\nmodels: []\n")
    assert where(at(issues, "models")) == (3, 1)


def test_merge_keys_are_not_duplicates(write_project: WriteProject) -> None:
    path = write_project(
        """
        models:
          - &base
            name: a
            kind: python
            source: model.py
            max_batch_size: 4
          - <<: *base
            name: b
        """
    )
    project = load_project(path)
    assert [(m.name, m.max_batch_size) for m in project.models] == [("a", 4), ("b", 4)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "the project file must be a mapping of keys such as models: and targets:"),
        ("just text\n", "the project file must be a mapping of keys such as models: and targets:"),
        ("", "the project file is empty"),
        ("# only a comment\n", "the project file is empty"),
    ],
)
def test_top_level_must_be_a_mapping(issues_of: LoadIssues, text: str, message: str) -> None:
    (issue,) = issues_of(text)
    assert (issue.line, issue.column, issue.message) == (1, 1, message)


def test_two_documents(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("models: []\n---\nmodels: []\n")
    assert where(issue) == (2, 1)
    assert "expected a single document" in issue.message


def test_alias_loop(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("models: &m\n  - *m\n")
    assert where(issue) == (1, 9)  # the anchor: a composed alias is the anchored node itself
    assert issue.path == "models[0]"
    assert "endless loop" in issue.message


def test_value_that_only_looks_like_a_date(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("repository: 2024-13-01\n")
    assert (issue.line, issue.column, issue.path) == (1, 13, "repository")
    assert issue.message == "this value cannot be read: month must be in 1..12"
    assert issue.fix == "put it in quotes if it is meant as text"


def test_unsafe_tags_are_refused(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("repository: !!python/object/apply:os.system [echo]\n")
    assert where(issue) == (1, 13)
    assert "could not determine a constructor" in issue.message


def test_control_characters(issues_of: LoadIssues) -> None:
    (issue,) = issues_of("models: []\nrepository: a\x07b\n")
    assert where(issue) == (2, 14)
    assert issue.message == "character '\\x07' is not allowed in YAML"


def test_invalid_utf8(write_project: WriteProject) -> None:
    path = write_project("models: []\n")
    path.write_bytes(b"models: []\nrepository: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load_project(path)
    (issue,) = caught.value.issues
    assert where(issue) == (2, 16)
    assert issue.message == "the project file is not valid utf-8 text"


def test_utf8_bom_and_utf16_are_read(write_project: WriteProject) -> None:
    path = write_project("")
    path.write_bytes("\ufeffrepository: out\n".encode())
    assert load_project(path).repository.name == "out"
    path.write_bytes("repository: out16\n".encode("utf-16"))
    assert load_project(path).repository.name == "out16"


def test_empty_sections_mean_none(write_project: WriteProject) -> None:
    project = load_project(write_project("models:\nensembles:\nexperiments:\n"))
    assert (project.models, project.ensembles, project.experiments) == ([], [], [])
    assert project.repository == project.root / "model_repository"


def test_nesting_too_deep(issues_of: LoadIssues) -> None:
    (shallow,) = issues_of("models: " + "[" * 70 + "]" * 70 + "\n")
    assert where(shallow) == (1, 73)
    assert shallow.message == "the YAML nests more than 64 levels deep here"
    (deep,) = issues_of("models: " + "[" * 3000 + "]" * 3000 + "\n")
    assert where(deep) == (1, 1)
    assert deep.message == "the YAML nests too deeply to read (over 64 levels)"


def test_alias_bombs_stop_early(issues_of: LoadIssues) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    issues = issues_of("\n".join(lines) + "\n")
    assert [i.message for i in issues] == ["aliases expand this file to more than 200000 values"]
