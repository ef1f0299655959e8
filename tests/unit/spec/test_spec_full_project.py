"""The full example project loads, resolves its paths and translates into the expected plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from tritonops.model_config import DataType, InstanceKind, to_proto
from tritonops.spec import ModelPlan, Project, load_project, plan_models
from tritonops.spec.targets import DEFAULT_IMAGE


@pytest.fixture
def project(full_project: Path) -> Project:
    return load_project(full_project)


@pytest.fixture
def plans(project: Project) -> dict[str, ModelPlan]:
    return {plan.name: plan for plan in plan_models(project)}


def test_paths_are_resolved_against_the_project_folder(
    project: Project, full_project: Path
) -> None:
    assert project.path == full_project.resolve()
    assert project.root == full_project.parent.resolve()
    assert project.repository == project.root / "model_repository"
    assert project.templates is None
    assert project.resolve("labels.txt") == project.root / "labels.txt"


def test_entries_in_file_order(project: Project) -> None:
    assert [m.name for m in project.models] == ["preprocess", "classifier", "counter", "chat"]
    assert [m.kind for m in project.models] == ["python", "onnx", "python", "tensorrt_llm"]
    assert [e.name for e in project.ensembles] == ["pipeline"]
    assert [e.name for e in project.experiments] == ["classifier-v2"]


def test_plans_come_models_first_then_ensembles(project: Project) -> None:
    names = [plan.name for plan in plan_models(project)]
    assert names == ["preprocess", "classifier", "counter", "chat", "pipeline"]


def test_python_folder_source_copies_every_file(
    plans: dict[str, ModelPlan], project: Project
) -> None:
    plan = plans["preprocess"]
    root = project.root
    assert plan.kind == "python"
    assert plan.versions == (1,)
    assert plan.version_files == {
        "helpers.py": root / "preprocess" / "helpers.py",
        "model.py": root / "preprocess" / "model.py",
    }
    assert plan.model_files == {"preprocess.tar.gz": root / "envs" / "preprocess.tar.gz"}
    config = plan.config
    assert config.backend == "python"
    assert config.max_batch_size == 8
    assert config.parameters == {
        "lowercase": "true",
        "max_words": "4",
        "EXECUTION_ENV_PATH": "$$TRITON_MODEL_DIRECTORY/preprocess.tar.gz",
    }
    assert config.input[0].data_type is DataType.TYPE_STRING
    assert config.output[0].dims == [4]
    assert config.instance_group[0].kind is InstanceKind.KIND_CPU
    assert config.instance_group[0].count == 2
    assert config.dynamic_batching is not None
    assert config.dynamic_batching.preferred_batch_size == [4, 8]
    assert config.dynamic_batching.max_queue_delay_microseconds == 100


def test_onnx_source_becomes_model_onnx_in_every_version(
    plans: dict[str, ModelPlan], project: Project
) -> None:
    plan = plans["classifier"]
    assert plan.versions == (1, 2)
    assert plan.version_files == {"model.onnx": project.root / "classifier.onnx"}
    assert plan.model_files == {"labels.txt": project.root / "labels.txt"}
    config = plan.config
    assert config.backend == "onnxruntime"
    assert config.platform == ""
    assert config.output[0].label_filename == "labels.txt"
    assert config.version_policy is not None
    assert config.version_policy.specific is not None
    assert config.version_policy.specific.versions == [1, 2]
    assert config.dynamic_batching is not None
    assert config.dynamic_batching.priority_levels == 2
    assert config.dynamic_batching.priority_queue_policy[1].max_queue_size == 16
    assert config.model_warmup[0].inputs["x"].zero_data is True
    assert config.response_cache is not None
    assert config.response_cache.enable


def test_python_file_source_and_sequence_batching(
    plans: dict[str, ModelPlan], project: Project
) -> None:
    plan = plans["counter"]
    assert plan.version_files == {"model.py": project.root / "counter" / "model.py"}
    batching = plan.config.sequence_batching
    assert batching is not None
    assert batching.oldest is not None
    assert batching.oldest.preferred_batch_size == [2, 4]
    assert [c.name for c in batching.control_input] == ["START", "CORRID"]


def test_tensorrt_llm_is_referenced_not_copied(plans: dict[str, ModelPlan]) -> None:
    plan = plans["chat"]
    assert plan.kind == "tensorrt_llm"
    assert plan.version_files == {}
    assert plan.config.backend == "tensorrtllm"
    # the ``decoupled: true`` shorthand
    assert plan.config.model_transaction_policy is not None
    assert plan.config.model_transaction_policy.decoupled
    assert plan.config.input[1].optional
    assert plan.config.parameters == {
        "gpt_model_type": "inflight_fused_batching",
        "max_beam_width": "1",
    }


def test_ensemble_scheduling_from_steps(plans: dict[str, ModelPlan]) -> None:
    plan = plans["pipeline"]
    assert plan.kind == "ensemble"
    assert plan.versions == (1,)
    assert plan.version_files == {}
    assert plan.model_files == {}
    config = plan.config
    assert config.platform == "ensemble"
    assert config.backend == ""
    assert config.is_ensemble
    assert config.ensemble_scheduling is not None
    steps = config.ensemble_scheduling.step
    assert [(s.model_name, s.model_version) for s in steps] == [
        ("preprocess", -1),
        ("classifier", 2),
    ]
    assert steps[0].input_map == {"RAW": "RAW"}
    assert steps[0].output_map == {"FEATURES": "features"}
    assert steps[1].input_map == {"x": "features"}


@pytest.mark.parametrize("name", ["preprocess", "classifier", "counter", "chat", "pipeline"])
def test_every_plan_converts_to_tritons_schema(plans: dict[str, ModelPlan], name: str) -> None:
    message = to_proto(plans[name].config)
    assert message.name == name


def test_experiment_and_targets(project: Project) -> None:
    experiment = project.experiments[0]
    assert [(v.name, v.model, v.version, v.weight) for v in experiment.variants] == [
        ("control", "classifier", 1, 0.9),
        ("candidate", "classifier", 2, 0.1),
    ]
    assert experiment.sticky_key == "user_id"
    assert experiment.shadow is not None
    assert experiment.shadow.model == "pipeline"
    assert experiment.slo.p99_ms == 50
    assert experiment.slo.p50_ms is None
    assert experiment.min_samples == 500
    assert project.resolve(experiment.dataset or "").is_file()
    targets = project.targets
    assert targets.local is not None
    assert targets.local.grpc_port == 8001
    assert targets.remote is not None
    assert targets.remote.protocol == "grpc"
    assert targets.remote.headers == {"Authorization": "Bearer test-token"}
    k8s = targets.kubernetes
    assert k8s is not None
    assert k8s.image == DEFAULT_IMAGE
    assert k8s.resources is not None
    assert k8s.resources.cpu == "4"
    assert k8s.autoscaling is not None
    assert k8s.autoscaling.max == 4
    assert k8s.kubernetes_version == "1.30"


def test_issue_points_back_into_the_file(project: Project, full_project: Path) -> None:
    ensemble = project.ensembles[0]
    issue = project.issue(ensemble, ("steps", 1, "inputs"), "tensor mismatch", "fix it")
    assert (issue.file, issue.line, issue.path) == (
        str(full_project),
        102,
        "ensembles[0].steps[1].inputs",
    )
    assert project.model("classifier") is project.models[1]
    assert project.model("pipeline") is ensemble
    assert project.model("nope") is None
