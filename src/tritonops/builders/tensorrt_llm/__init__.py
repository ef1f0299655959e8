"""TensorRT-LLM: build an engine from a Hugging Face checkpoint and serve it in-flight batched.

::

    builder = TensorRTLLMBuilder()
    builder.plan(ctx)         # the argv lines (--dry-run), no GPU needed
    builder.build(ctx)        # runs them; BuildError names whatever is missing
    trtllm_model_plans(project, spec)   # preprocessing, engine, postprocessing, ensemble, [bls]
    plan_steps(build, checkpoint, engine_dir)   # the argv lists themselves
"""

from tritonops.builders.tensorrt_llm.builder import TensorRTLLMBuilder
from tritonops.builders.tensorrt_llm.commands import Toolchain, find_toolchain, plan_steps
from tritonops.builders.tensorrt_llm.repository import (
    ModelNames,
    engine_dir_for,
    engine_parameters,
    model_names,
    notes,
    trtllm_model_plans,
)

__all__ = [
    "ModelNames",
    "TensorRTLLMBuilder",
    "Toolchain",
    "engine_dir_for",
    "engine_parameters",
    "find_toolchain",
    "model_names",
    "notes",
    "plan_steps",
    "trtllm_model_plans",
]
