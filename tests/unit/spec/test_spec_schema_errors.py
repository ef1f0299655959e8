"""Pydantic errors, rephrased and located: unknown keys, wrong types, bad enum values."""

from __future__ import annotations

from spec_helpers import LoadIssues, at, where

from tritonops.errors import SpecIssue


def test_unknown_key_suggests_the_field(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: python
            source: model.py
            max_batch_sizee: 8
        """
    )
    (issue,) = issues
    assert str(issue).endswith(
        "tritonops.yaml:5:5: models[0].max_batch_sizee: unknown key 'max_batch_sizee'"
        " — did you mean 'max_batch_size'?"
    )


def test_unknown_nested_key_suggests_from_the_mirror_class(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: python
            source: model.py
            max_batch_size: 8
            dynamic_batching:
              prefered_batch_size: [4]
            inputs:
              - {name: x, data_type: fp32, dim: [4]}
        """
    )
    first = at(issues, "models[0].dynamic_batching.prefered_batch_size")
    assert where(first) == (7, 7)
    assert first.fix == "did you mean 'preferred_batch_size'?"
    second = at(issues, "models[0].inputs[0].dim")
    assert where(second) == (9, 36)
    assert second.fix == "did you mean 'dims'?"


def test_unknown_key_without_a_close_match_lists_the_keys(issues_of: LoadIssues) -> None:
    issue = at(issues_of("targets:\n  zzz: {}\n"), "targets.zzz")
    assert where(issue) == (2, 3)
    assert issue.fix == "choose one of: kubernetes, local, remote"


def test_unknown_top_level_key(issues_of: LoadIssues) -> None:
    issue = at(issues_of("model:\n  - name: a\n"), "model")
    assert (issue.line, issue.column, issue.fix) == (1, 1, "did you mean 'models'?")


def test_hint_for_a_key_that_belongs_elsewhere(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        ensembles:
          - name: e
            source: e.onnx
            steps:
              - {model: a, input_map: {x: x}, outputs: {y: y}}
        models:
          - {name: a, kind: python, source: model.py}
        """
    )
    assert at(issues, "ensembles[0].source").fix == (
        "an ensemble runs other models and has no source; remove it"
    )
    assert at(issues, "ensembles[0].steps[0].input_map").fix == (
        "a step says 'inputs' (step tensor: ensemble tensor)"
    )
    missing = at(issues, "ensembles[0].steps[0].inputs")
    assert missing.message == "required key 'inputs' is missing"
    assert where(missing) == (5, 9)


def test_enum_values_are_listed_with_a_suggestion(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: python
            source: model.py
            inputs:
              - name: x
                data_type: fp33
                dims: [1]
            instance_group:
              - {kind: gpuu}
        """
    )
    dtype = at(issues, "models[0].inputs[0].data_type")
    assert where(dtype) == (7, 20)
    assert dtype.message.startswith("'fp33' is not one of: TYPE_INVALID, TYPE_BOOL,")
    assert dtype.fix == "did you mean 'TYPE_FP32'?"
    kind = at(issues, "models[0].instance_group[0].kind")
    assert kind.message == "'gpuu' is not one of: KIND_AUTO, KIND_GPU, KIND_CPU, KIND_MODEL"
    assert kind.fix == "did you mean 'KIND_GPU'?"


def test_model_kind(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: onnxx, source: a.onnx}
          - {name: b, source: model.py}
          - {name: c, kind: 7}
        """
    )
    wrong = at(issues, "models[0].kind")
    assert where(wrong) == (2, 21)
    assert wrong.message == "'onnxx' is not one of: onnx, python, tensorrt_llm, vllm, ensemble"
    assert wrong.fix == "did you mean 'onnx'?"
    missing = at(issues, "models[1].kind")
    assert (missing.line, missing.message) == (3, "required key 'kind' is missing")
    assert missing.fix == "add kind: with one of onnx, python, tensorrt_llm, vllm, ensemble"
    assert at(issues, "models[2].kind").message == "the number 7 is not allowed"


def _messages(issues: list[SpecIssue]) -> dict[str, tuple[int | None, str, str]]:
    return {i.path: (i.line, i.message, i.fix) for i in issues}


def test_type_errors_are_human(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - name: a
            kind: python
            source: model.py
            max_batch_size: eight
            versions: [1, 2.5, 0]
            inputs: {name: x}
            parameters:
              nested: {a: 1}
            response_cache: {enable: maybe}
            decoupled: true
        """
    )
    assert _messages(issues) == {
        "models[0].max_batch_size": (
            5,
            "expected a whole number, got the text 'eight'",
            "write an integer such as 8",
        ),
        "models[0].versions[1]": (
            6,
            "expected a whole number, got the number 2.5",
            "write an integer such as 8",
        ),
        "models[0].versions[2]": (6, "must be > 0 (got 0)", "use a value > 0"),
        "models[0].inputs": (
            7,
            "expected a list, got a mapping",
            "write a YAML list ('- item' per line)",
        ),
        "models[0].parameters.nested": (
            9,
            "a parameter value must be text, a number or true/false (got a dict)",
            "write a single value",
        ),
        "models[0].response_cache.enable": (
            10,
            "expected true or false, got the text 'maybe'",
            "write true or false",
        ),
    }
    assert all("pydantic" not in str(i) and "type=" not in str(i) for i in issues)


def test_booleans_are_not_counts(issues_of: LoadIssues) -> None:
    issue = at(
        issues_of("models:\n  - {name: a, kind: python, source: model.py, max_batch_size: true}\n"),
        "models[0].max_batch_size",
    )
    assert issue.message == "expected a whole number, got true"


def test_invalid_names(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a/b, kind: python, source: model.py}
          - {name: "", kind: python, source: model.py}
        """
    )
    slash = at(issues, "models[0].name")
    assert where(slash) == (2, 12)
    assert (
        slash.message == "'a/b' is not a valid model name: it becomes a folder, so no '/' or '\\'"
    )
    assert slash.fix == "use '-' or '_' instead"
    assert at(issues, "models[1].name").message == "a name must not be empty"


def test_validator_errors_from_the_mirror(issues_of: LoadIssues) -> None:
    issue = at(
        issues_of(
            """
            models:
              - name: a
                kind: python
                source: model.py
                version_policy: {latest: {num_versions: 1}, all: {}}
            """
        ),
        "models[0].version_policy",
    )
    assert where(issue) == (5, 21)
    assert issue.message == "choose one of latest, all, specific (got latest, all)"


def test_errors_in_every_entry_are_reported_together(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: model.py, max_batch_size: -1}
          - name: b
            kind: python
            source: model.py
            max_batch_size: 4
            dynamic_batching: {preferred_batch_size: [8]}
        ensembles:
          - {name: e, steps: []}
        experiments:
          - {name: x, variants: [{name: v, model: a}]}
        targets:
          local: {http_port: 70000}
        """
    )
    assert [(i.line, i.path) for i in issues] == [
        (2, "models[0].max_batch_size"),
        (7, "models[1].dynamic_batching.preferred_batch_size[0]"),
        (9, "ensembles[0].steps"),
        (11, "experiments[0].variants"),
        (13, "targets.local.http_port"),
    ]
    assert at(issues, "ensembles[0].steps").message == "needs at least 1 item(s), got 0"
    assert at(issues, "targets.local.http_port").message == "must be <= 65535 (got 70000)"


def test_non_text_keys(issues_of: LoadIssues) -> None:
    issue = at(
        issues_of("models:\n  - {name: a, kind: python, source: model.py, 3: x}\n"), "models[0][3]"
    )
    assert issue.message == "key 3 must be text"
    assert where(issue) == (2, 47)
