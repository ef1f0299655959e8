"""Cross-field rules: batching, priorities, versions, tensors, names, ensembles, experiments."""

from __future__ import annotations

from collections.abc import Callable

from spec_helpers import LoadIssues, at, where

from tritonops.spec import Project

HEAD = """
models:
  - name: m
    kind: python
    source: model.py
"""


def test_preferred_batch_size_above_max(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD
        + """
    max_batch_size: 8
    dynamic_batching:
      preferred_batch_size: [4, 16, 0]
"""
    )
    big = at(issues, "models[0].dynamic_batching.preferred_batch_size[1]")
    assert str(big).endswith(
        "tritonops.yaml:8:33: models[0].dynamic_batching.preferred_batch_size[1]:"
        " 16 exceeds max_batch_size 8 — lower it or raise max_batch_size"
    )
    zero = at(issues, "models[0].dynamic_batching.preferred_batch_size[2]")
    assert zero.message == "preferred batch size 0 must be > 0"


def test_dynamic_batching_without_max_batch_size(issues_of: LoadIssues) -> None:
    issue = at(issues_of(HEAD + "    dynamic_batching: {}\n"), "models[0].dynamic_batching")
    assert where(issue) == (5, 23)
    assert issue.message == (
        "dynamic_batching with max_batch_size 0 never batches: Triton loads it and runs every"
        " request alone"
    )
    assert issue.fix == "set max_batch_size > 0 or remove dynamic_batching"


def test_sequence_batching_without_max_batch_size_is_allowed(
    project_of: Callable[[str], Project],
) -> None:
    # stateful models need the sequence batcher for routing even when they never batch
    project = project_of(HEAD + "    sequence_batching: {max_sequence_idle_microseconds: 10}\n")
    assert project.models[0].sequence_batching is not None


def test_sequence_oldest_preferred_sizes(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD + "    max_batch_size: 2\n    sequence_batching:\n"
        "      oldest: {preferred_batch_size: [4]}\n"
    )
    issue = at(issues, "models[0].sequence_batching.oldest.preferred_batch_size[0]")
    assert issue.message == "4 exceeds max_batch_size 2"


def test_one_scheduler(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD + "    max_batch_size: 2\n    dynamic_batching: {}\n    sequence_batching: {}\n"
    )
    assert at(issues, "models[0].sequence_batching").message == (
        "one scheduler per model: dynamic_batching and sequence_batching are both set"
    )


def test_priority_levels(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD
        + """
    max_batch_size: 8
    dynamic_batching:
      priority_levels: 2
      default_priority_level: 3
      preserve_ordering: true
      priority_queue_policy:
        1: {max_queue_size: 4}
        5: {max_queue_size: 4}
"""
    )
    assert [i.path for i in issues] == [
        "models[0].dynamic_batching.default_priority_level",
        "models[0].dynamic_batching.preserve_ordering",
        "models[0].dynamic_batching.priority_queue_policy[5]",
    ]
    default = issues[0]
    assert (default.message, default.fix) == (
        "default_priority_level 3 is outside [1, 2]",
        "choose a level from 1 to 2",
    )
    assert where(issues[2]) == (13, 9)  # the key of the offending policy


def test_default_priority_without_levels(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD + "    max_batch_size: 8\n    dynamic_batching: {default_priority_level: 1}\n"
    )
    assert at(issues, "models[0].dynamic_batching.default_priority_level").message == (
        "default_priority_level 1 needs priority_levels"
    )


def test_versions_and_policy(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD
        + """
    versions: [1, 2, 2]
    version_policy:
      specific: {versions: [1, 3]}
"""
    )
    assert at(issues, "models[0].versions[2]").message == "version 2 is listed twice"
    policy = at(issues, "models[0].version_policy.specific.versions[1]")
    assert where(policy) == (8, 32)
    assert policy.message == "version 3 is not one of this model's versions (1, 2, 2)"
    assert policy.fix == "add 3 to versions or drop it here"


def test_latest_zero_versions(issues_of: LoadIssues) -> None:
    issues = issues_of(HEAD + "    version_policy: {latest: {num_versions: 0}}\n")
    assert at(issues, "models[0].version_policy.latest.num_versions").message == (
        "num_versions 0 would serve no version"
    )


def test_tensors(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD
        + """
    inputs:
      - {name: x, data_type: fp32, dims: [0, -2]}
      - {name: x, data_type: invalid, dims: []}
"""
    )
    assert [i.path for i in issues] == [
        "models[0].inputs[0].dims[0]",
        "models[0].inputs[0].dims[1]",
        "models[0].inputs[1].name",
        "models[0].inputs[1].data_type",
        "models[0].inputs[1].dims",
    ]
    assert issues[0].message == "dimension 0 is not allowed"
    assert issues[2].message == "input 'x' is declared twice"
    assert issues[4].message == "input 'x' has no dims; Triton requires them"


def test_instance_group_gpus_on_cpu(issues_of: LoadIssues) -> None:
    issues = issues_of(HEAD + "    instance_group: [{kind: cpu, gpus: [0]}]\n")
    assert at(issues, "models[0].instance_group[0].gpus").message == (
        "KIND_CPU instances cannot list gpus"
    )


def test_decoupled_rules(issues_of: LoadIssues) -> None:
    issues = issues_of(
        HEAD
        + """
    decoupled: true
    model_transaction_policy: {decoupled: false}
    response_cache: {enable: true}
"""
    )
    assert at(issues, "models[0].decoupled").message == (
        "decoupled disagrees with model_transaction_policy.decoupled"
    )
    assert at(issues, "models[0].response_cache").message == (
        "Triton's response cache does not support decoupled models"
    )


def test_names_are_one_namespace(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: model.py}
          - {name: a, kind: onnx, source: a.onnx}
        ensembles:
          - name: a
            steps: [{model: a, inputs: {x: x}, outputs: {y: y}}]
        """
    )
    assert [(i.line, i.path, i.message) for i in issues] == [
        (3, "models[1].name", "model name 'a' is already used (line 2)"),
        (5, "ensembles[0].name", "model name 'a' is already used (line 2)"),
        (6, "ensembles[0].steps[0].model", "an ensemble cannot run itself"),
    ]


def test_a_broken_model_still_counts_as_a_name(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        models:
          - {name: a, kind: python, source: model.py, max_batch_size: x}
        ensembles:
          - name: e
            steps: [{model: a, inputs: {x: x}, outputs: {y: y}}]
        """
    )
    assert [i.path for i in issues] == ["models[0].max_batch_size"]


ENSEMBLE = """
models:
  - {name: pre, kind: python, source: model.py, max_batch_size: 4, versions: [1, 2]}
  - {name: clf, kind: onnx, source: a.onnx}
ensembles:
  - name: pipe
    max_batch_size: 8
    steps:
      - {model: pree, inputs: {x: x}, outputs: {y: t}}
      - {model: pre, version: 3, inputs: {x: t}, outputs: {y: z}}
      - {model: clf, inputs: {x: z}, outputs: {y: out}}
"""


def test_ensemble_steps(issues_of: LoadIssues) -> None:
    issues = issues_of(ENSEMBLE)
    assert [(i.line, i.column, i.path, i.message, i.fix) for i in issues] == [
        (
            6,
            21,
            "ensembles[0].max_batch_size",
            "max_batch_size 8 exceeds 4, the max_batch_size of step model 'pre'; Triton refuses"
            " to load the ensemble",
            "lower it to 4 or raise 'pre''s max_batch_size",
        ),
        (
            8,
            17,
            "ensembles[0].steps[0].model",
            "no model named 'pree' in this project",
            "did you mean 'pre'?",
        ),
        (
            9,
            31,
            "ensembles[0].steps[1].version",
            "model 'pre' has no version 3 (it has 1, 2)",
            "use one of 1, 2 or add 3 to its versions",
        ),
    ]


def test_ensemble_kind_under_models(project_of: Callable[[str], Project]) -> None:
    project = project_of(
        """
        models:
          - name: e
            kind: ensemble
            steps: [{model: m, inputs: {x: x}, outputs: {y: y}}]
          - {name: m, kind: python, source: model.py}
        ensembles:
          - name: f
            steps: [{model: e, inputs: {x: x}, outputs: {y: y}}]
        """
    )
    assert [m.name for m in project.models] == ["m"]
    assert [e.name for e in project.ensembles] == ["e", "f"]
    assert project.loc(project.ensembles[0]) == ("models", 0)


EXPERIMENT = """
models:
  - {name: clf, kind: onnx, source: a.onnx, versions: [1, 2]}
experiments:
  - name: ab
    variants:
      - {name: a, model: clf, version: 1, weight: 0}
      - {name: a, model: clff, weight: 0}
      - {name: c, model: clf, version: 9, weight: 0}
    shadow: b
  - name: ab
    variants:
      - {name: a, model: clf}
      - {name: b, model: clf}
    shadow: {model: clf, version: 7}
"""


def test_experiments(issues_of: LoadIssues) -> None:
    issues = issues_of(EXPERIMENT)
    assert [(i.line, i.path, i.message, i.fix) for i in issues] == [
        (
            6,
            "experiments[0].variants",
            "every variant has weight 0, so no traffic would be sent",
            "give at least one variant a weight > 0",
        ),
        (
            7,
            "experiments[0].variants[1].name",
            "variant name 'a' is already used (line 6)",
            "give each one its own name",
        ),
        (
            7,
            "experiments[0].variants[1].model",
            "no model named 'clff' in this project",
            "did you mean 'clf'?",
        ),
        (
            8,
            "experiments[0].variants[2].version",
            "model 'clf' has no version 9 (it has 1, 2)",
            "use one of 1, 2 or add 9 to its versions",
        ),
        (
            9,
            "experiments[0].shadow",
            "no variant named 'b' in this experiment",
            "known variants: a, c",
        ),
        (
            10,
            "experiments[1].name",
            "experiment name 'ab' is already used (line 4)",
            "give each one its own name",
        ),
        (
            14,
            "experiments[1].shadow.version",
            "model 'clf' has no version 7 (it has 1, 2)",
            "use one of 1, 2 or add 7 to its versions",
        ),
    ]


def test_experiment_schema(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        experiments:
          - name: ab
            variants:
              - {name: a, model: m, weight: -1}
              - {name: b, model: m}
            shadow: {variant: a, model: m}
            slo: {p99_ms: 0, max_error_rate: 1.5}
            min_samples: -3
        """
    )
    assert {i.path: i.message for i in issues} == {
        "experiments[0].variants[0].weight": "must be >= 0 (got -1)",
        "experiments[0].shadow": "a shadow names either a variant or a model",
        "experiments[0].slo.p99_ms": "must be > 0 (got 0)",
        "experiments[0].slo.max_error_rate": "must be <= 1 (got 1.5)",
        "experiments[0].min_samples": "must be >= 0 (got -3)",
    }


def test_targets_schema(issues_of: LoadIssues) -> None:
    issues = issues_of(
        """
        targets:
          local: {http_port: 8000, grpc_port: 8000}
          remote: {url: "h:8000", protocol: grcp}
          kubernetes:
            kubernetes_version: 1.30
            repository_uri: /mnt/models
            autoscaling: {min: 5, max: 2}
        """
    )
    assert {i.path: (i.line, i.message, i.fix) for i in issues} == {
        "targets.local": (
            2,
            "http_port, grpc_port and metrics_port must differ",
            "pick free ports",
        ),
        "targets.remote.protocol": (3, "'grcp' is not one of: http, grpc", "did you mean 'grpc'?"),
        "targets.kubernetes.kubernetes_version": (
            5,
            "YAML read this as the number 1.3",
            'quote the version, e.g. "1.30"',
        ),
        "targets.kubernetes.repository_uri": (
            6,
            "'/mnt/models' is not a repository location pods can read",
            "use s3://bucket/path, gs://bucket/path or pvc:<claim-name>",
        ),
        "targets.kubernetes.autoscaling": (
            7,
            "min (5) exceeds max (2)",
            "raise max or lower min",
        ),
    }
