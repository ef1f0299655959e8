"""The one translation from what users write to what Triton reads: ``Project`` → ``ModelPlan``s."""

from __future__ import annotations

from pathlib import Path

from tritonops.model_config import (
    EnsembleScheduling,
    EnsembleStep,
    ModelConfig,
    TransactionPolicy,
)
from tritonops.spec.models import EnsembleSpec, ModelSpec
from tritonops.spec.plan import ModelPlan
from tritonops.spec.project import Project
from tritonops.spec.sources import EXECUTION_ENV_PARAMETER, model_filename
from tritonops.spec.vllm import vllm_config

BACKENDS = {
    "onnx": "onnxruntime",
    "python": "python",
    "tensorrt_llm": "tensorrtllm",
    "vllm": "vllm",
}
ENSEMBLE_PLATFORM = "ensemble"


def plan_models(project: Project) -> list[ModelPlan]:
    """One plan per model (file order), then one per ensemble (file order)."""
    plans = [plan_model(project, spec) for spec in project.models]
    plans += [plan_ensemble(spec) for spec in project.ensembles]
    return plans


def plan_model(project: Project, spec: ModelSpec) -> ModelPlan:
    parameters = dict(spec.parameters)
    model_files = {name: project.resolve(source) for name, source in spec.files.items()}
    if spec.execution_env is not None:
        env = project.resolve(spec.execution_env)
        # Triton expands $$TRITON_MODEL_DIRECTORY to the model folder, where the tarball lands
        parameters[EXECUTION_ENV_PARAMETER] = f"$$TRITON_MODEL_DIRECTORY/{env.name}"
        model_files[env.name] = env
    policy = spec.model_transaction_policy
    if spec.decoupled is not None:
        policy = TransactionPolicy(decoupled=spec.decoupled)
    config = ModelConfig(
        name=spec.name,
        platform=spec.platform,
        backend=spec.backend or BACKENDS[spec.kind],
        runtime=spec.runtime,
        version_policy=spec.version_policy,
        max_batch_size=spec.max_batch_size,
        input=spec.inputs,
        output=spec.outputs,
        batch_input=spec.batch_input,
        batch_output=spec.batch_output,
        optimization=spec.optimization,
        dynamic_batching=spec.dynamic_batching,
        sequence_batching=spec.sequence_batching,
        instance_group=spec.instance_group,
        default_model_filename=spec.default_model_filename,
        parameters=parameters,
        model_warmup=spec.model_warmup,
        model_transaction_policy=policy,
        response_cache=spec.response_cache,
    )
    if spec.kind == "vllm":
        config = vllm_config(config)
    return ModelPlan(
        config=config,
        kind=spec.kind,
        versions=tuple(spec.versions),
        version_files=_version_files(project, spec),
        model_files=model_files,
    )


def _version_files(project: Project, spec: ModelSpec) -> dict[str, Path]:
    if spec.source is None or spec.kind in ("tensorrt_llm", "vllm"):
        return {}  # an engine is referenced where it is, not copied, at this stage
    source = project.resolve(spec.source)
    if spec.kind == "python" and source.is_dir():
        return {
            path.relative_to(source).as_posix(): path
            for path in sorted(source.rglob("*"))
            if path.is_file() and "__pycache__" not in path.relative_to(source).parts
        }
    return {model_filename(spec): source}


def plan_ensemble(spec: EnsembleSpec) -> ModelPlan:
    steps = [
        EnsembleStep(
            model_name=step.model,
            model_version=-1 if step.version is None else step.version,
            input_map=dict(step.inputs),
            output_map=dict(step.outputs),
        )
        for step in spec.steps
    ]
    config = ModelConfig(
        name=spec.name,
        platform=ENSEMBLE_PLATFORM,
        max_batch_size=spec.max_batch_size,
        input=spec.inputs,
        output=spec.outputs,
        ensemble_scheduling=EnsembleScheduling(step=steps),
        version_policy=spec.version_policy,
        parameters=dict(spec.parameters),
        response_cache=spec.response_cache,
    )
    return ModelPlan(config=config, kind="ensemble", versions=(1,))
