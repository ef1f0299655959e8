"""Which builder serves which model kind (imported lazily: torch and friends are heavy)."""

from __future__ import annotations

from tritonops.builders.base import Builder
from tritonops.spec import ModelPlan, ModelSpec, Project


def builder_for(spec: ModelSpec) -> Builder | None:
    """The builder of ``spec``'s kind; None for what needs no build step."""
    if spec.kind == "python":
        from tritonops.builders.python import PythonBuilder

        return PythonBuilder()
    if spec.kind == "onnx":
        from tritonops.builders.onnx import OnnxBuilder

        return OnnxBuilder()
    if spec.kind == "tensorrt_llm":
        from tritonops.builders.tensorrt_llm import TensorRTLLMBuilder

        return TensorRTLLMBuilder()
    return None


def needs_artifact(spec: ModelSpec) -> bool:
    """Models whose version folders hold built files (a TRT-LLM engine is referenced instead)."""
    return spec.kind in ("python", "onnx")


def extra_plans(project: Project, spec: ModelSpec, plan: ModelPlan) -> list[ModelPlan]:
    """The plans a model expands to in the repository (TRT-LLM: its in-flight batching set)."""
    if spec.kind == "tensorrt_llm":
        from tritonops.builders.tensorrt_llm import engine_dir_for, trtllm_model_plans

        return trtllm_model_plans(project, spec, engine_dir_for(project, spec))
    if spec.kind == "vllm":  # model.json is rendered from the project file, nothing is built
        from tritonops.builders.vllm import vllm_plans

        return vllm_plans(project, spec, plan)
    return [plan]
