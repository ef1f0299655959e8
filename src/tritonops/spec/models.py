"""What users write for a model or an ensemble: the project-file layer above the proto mirror.

Tensor, batching, instance-group and policy settings reuse the mirror classes of
``tritonops.model_config`` directly, so every field of model_config.proto is available under its
proto name; only what Triton has no word for (``kind``, ``source``, ``versions``, ``files``,
``execution_env``, ``steps``, the ``decoupled`` shorthand) is new here.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from tritonops.model_config import (
    BatchInput,
    BatchOutput,
    DynamicBatching,
    InstanceGroup,
    ModelInput,
    ModelOutput,
    ModelWarmup,
    Optimization,
    ResponseCache,
    SequenceBatching,
    TransactionPolicy,
    VersionPolicy,
)
from tritonops.spec.fields import (
    Count,
    NonEmpty,
    ParameterValue,
    SpecModel,
    TritonName,
    Version,
)
from tritonops.spec.onnx_build import OnnxBuild
from tritonops.spec.trtllm_build import TrtLlmBuild
from tritonops.spec.vllm import VllmEngineArgs

ModelKind = Literal["onnx", "python", "tensorrt_llm", "vllm"]
MODEL_KINDS: tuple[str, ...] = ("onnx", "python", "tensorrt_llm", "vllm", "ensemble")


class ModelSpec(SpecModel):
    """One model built from a source: an ONNX file, a Python model, or a TensorRT-LLM engine.

    ``decoupled: true`` is shorthand for ``model_transaction_policy: {decoupled: true}``.
    ``execution_env`` names a conda-pack tarball: it is placed in the model folder and
    ``EXECUTION_ENV_PATH`` points at it.
    """

    name: TritonName
    kind: ModelKind
    source: str | None = None
    versions: list[Version] = Field(default_factory=lambda: [1], min_length=1)
    backend: str = ""
    platform: str = ""
    runtime: str = ""
    max_batch_size: Count = 0
    inputs: list[ModelInput] = Field(default_factory=list)
    outputs: list[ModelOutput] = Field(default_factory=list)
    batch_input: list[BatchInput] = Field(default_factory=list)
    batch_output: list[BatchOutput] = Field(default_factory=list)
    instance_group: list[InstanceGroup] = Field(default_factory=list)
    dynamic_batching: DynamicBatching | None = None
    sequence_batching: SequenceBatching | None = None
    version_policy: VersionPolicy | None = None
    model_warmup: list[ModelWarmup] = Field(default_factory=list)
    response_cache: ResponseCache | None = None
    model_transaction_policy: TransactionPolicy | None = None
    decoupled: bool | None = None
    optimization: Optimization | None = None
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    default_model_filename: str = ""
    # relative path inside the model folder -> source path relative to the project file
    files: dict[str, NonEmpty] = Field(default_factory=dict)
    execution_env: str | None = None
    onnx: OnnxBuild | None = None
    tensorrt_llm: TrtLlmBuild | None = None
    vllm: VllmEngineArgs | None = None

    extra_key_hints: ClassVar[dict[str, str]] = {
        "steps": "only ensembles have steps; set kind: ensemble or move it under ensembles:",
        "input": "the project file says 'inputs' (a list)",
        "output": "the project file says 'outputs' (a list)",
        "version": "the project file says 'versions' (a list such as [1, 2])",
    }

    @property
    def is_decoupled(self) -> bool:
        if self.decoupled is not None:
            return self.decoupled
        policy = self.model_transaction_policy
        return policy is not None and policy.decoupled


class EnsembleStepSpec(SpecModel):
    """One step: which model runs, and how its tensors map to the ensemble's tensors."""

    model: NonEmpty
    version: Version | None = None
    # step model tensor name -> ensemble tensor name
    inputs: dict[str, str] = Field(min_length=1)
    outputs: dict[str, str] = Field(min_length=1)

    extra_key_hints: ClassVar[dict[str, str]] = {
        "model_name": "a step says 'model'",
        "input_map": "a step says 'inputs' (step tensor: ensemble tensor)",
        "output_map": "a step says 'outputs' (step tensor: ensemble tensor)",
    }


class EnsembleSpec(SpecModel):
    """A pipeline of models; Triton runs it with ``platform: ensemble``."""

    name: TritonName
    kind: Literal["ensemble"] = "ensemble"
    max_batch_size: Count = 0
    inputs: list[ModelInput] = Field(default_factory=list)
    outputs: list[ModelOutput] = Field(default_factory=list)
    steps: list[EnsembleStepSpec] = Field(min_length=1)
    version_policy: VersionPolicy | None = None
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    response_cache: ResponseCache | None = None

    extra_key_hints: ClassVar[dict[str, str]] = {
        "source": "an ensemble runs other models and has no source; remove it",
        "instance_group": "Triton rejects instance_group on an ensemble; set it on the step models",
        "optimization": "Triton rejects optimization on an ensemble; set it on the step models",
        "model_warmup": "Triton rejects model_warmup on an ensemble; warm up the step models",
        "dynamic_batching": "an ensemble has no scheduler of its own; batch in the step models",
        "versions": "an ensemble always has the single version 1; remove it",
    }
