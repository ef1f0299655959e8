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

ModelKind = Literal["onnx", "python", "tensorrt_llm"]
MODEL_KINDS: tuple[str, ...] = ("onnx", "python", "tensorrt_llm", "ensemble")


class ModelSpec(SpecModel):
    """One model built from a source: an ONNX file, a Python model, or a TensorRT-LLM engine.

    ``decoupled: true`` is shorthand for ``model_transaction_policy: {decoupled: true}``.
    ``execution_env`` names a conda-pack tarball: it is placed in the model folder and
    ``EXECUTION_ENV_PATH`` points at it.
    """

    name: TritonName = Field(
        description="The model's name: its folder in the repository and the name clients call.",
        examples=["resnet50"],
    )
    kind: ModelKind = Field(
        description="What the source is and how it is built: onnx (an ONNX file, a scikit-learn"
        " file or a factory), python (a model.py for Triton's python backend) or tensorrt_llm"
        " (an engine built from a Hugging Face checkpoint). Ensembles say kind: ensemble.",
        examples=["onnx"],
    )
    source: str | None = Field(
        default=None,
        description="Where the model comes from, relative to the project file. onnx: a .onnx"
        " file, a scikit-learn .joblib/.pkl file, or a factory package.module:function; python:"
        " a model.py file or the folder holding it; tensorrt_llm: unused (see tensorrt_llm).",
        examples=["models/classifier.onnx", "models.digits:logistic", "models/preprocess"],
    )
    versions: list[Version] = Field(
        default_factory=lambda: [1],
        min_length=1,
        description="The version folders written into the repository, each holding the artifact.",
        examples=[[1, 2]],
    )
    backend: str = Field(
        default="",
        description="Triton backend to run the model; empty: chosen from kind (onnxruntime,"
        " python, tensorrtllm).",
        examples=["onnxruntime"],
    )
    platform: str = Field(
        default="",
        description="Triton platform string (config.pbtxt's platform); usually left empty in"
        " favour of backend.",
        examples=["onnxruntime_onnx"],
    )
    runtime: str = Field(
        default="",
        description="config.pbtxt's runtime: the backend library or a python-based backend's"
        " model.py to load instead of the default.",
        examples=["model.py"],
    )
    max_batch_size: Count = Field(
        default=0,
        description="Largest batch Triton forms for this model; 0 turns batching off, so dims"
        " then include the batch axis.",
        examples=[32],
    )
    inputs: list[ModelInput] = Field(
        default_factory=list,
        description="Input tensors (config.pbtxt's input). For onnx models built from a source"
        " they may be left out: the build reads them from the artifact.",
        examples=[[{"name": "input", "data_type": "fp32", "dims": [4]}]],
    )
    outputs: list[ModelOutput] = Field(
        default_factory=list,
        description="Output tensors (config.pbtxt's output); onnx models may leave them out.",
        examples=[[{"name": "probabilities", "data_type": "fp32", "dims": [3]}]],
    )
    batch_input: list[BatchInput] = Field(
        examples=[
            [
                {
                    "kind": "BATCH_ELEMENT_COUNT",
                    "target_name": ["COUNT"],
                    "data_type": "fp32",
                    "source_input": ["RAGGED"],
                }
            ]
        ],
        default_factory=list,
        description="Extra inputs Triton fills from the batch (ragged batching), as in"
        " config.pbtxt.",
    )
    batch_output: list[BatchOutput] = Field(
        examples=[
            [
                {
                    "target_name": ["OUTPUT"],
                    "kind": "BATCH_SCATTER_WITH_INPUT_SHAPE",
                    "source_input": ["RAGGED"],
                }
            ]
        ],
        default_factory=list,
        description="Outputs Triton scatters back per request (ragged batching), as in"
        " config.pbtxt.",
    )
    instance_group: list[InstanceGroup] = Field(
        default_factory=list,
        description="How many copies of the model run and where (CPU, GPU ids).",
        examples=[[{"kind": "KIND_CPU", "count": 2}]],
    )
    dynamic_batching: DynamicBatching | None = Field(
        default=None,
        description="Turn on Triton's dynamic batcher (needs max_batch_size > 0).",
        examples=[{"preferred_batch_size": [8, 16], "max_queue_delay_microseconds": 200}],
    )
    sequence_batching: SequenceBatching | None = Field(
        examples=[{"max_sequence_idle_microseconds": 5000000, "direct": {}}],
        default=None,
        description="The sequence batcher, for stateful models that see a sequence of requests.",
    )
    version_policy: VersionPolicy | None = Field(
        default=None,
        description="Which of the version folders Triton serves (latest N, all, or specific).",
        examples=[{"latest": {"num_versions": 1}}],
    )
    model_warmup: list[ModelWarmup] = Field(
        examples=[
            [
                {
                    "name": "zeros",
                    "batch_size": 1,
                    "inputs": {"input": {"data_type": "fp32", "dims": [4], "zero_data": True}},
                }
            ]
        ],
        default_factory=list,
        description="Requests Triton runs at load time, before the model is marked ready.",
    )
    response_cache: ResponseCache | None = Field(
        default=None,
        description="Let the server answer repeated identical requests from its response cache.",
        examples=[{"enable": True}],
    )
    model_transaction_policy: TransactionPolicy | None = Field(
        examples=[{"decoupled": True}],
        default=None,
        description="config.pbtxt's model_transaction_policy (decoupled: any number of"
        " responses per request).",
    )
    decoupled: bool | None = Field(
        default=None,
        description="Shorthand for model_transaction_policy: {decoupled: true}.",
        examples=[True],
    )
    optimization: Optimization | None = Field(
        examples=[{"priority": "PRIORITY_MAX", "input_pinned_memory": {"enable": False}}],
        default=None,
        description="config.pbtxt's optimization: priority, CUDA graphs, execution"
        " accelerators, pinned memory.",
    )
    parameters: dict[str, ParameterValue] = Field(
        default_factory=dict,
        description="Backend parameters (config.pbtxt's parameters); numbers and booleans are"
        " written as the text Triton reads.",
        examples=[{"intra_op_thread_count": 1}],
    )
    default_model_filename: str = Field(
        default="",
        description="The file Triton opens in each version folder; empty: model.onnx for onnx,"
        " model.py for python.",
        examples=["classifier.onnx"],
    )
    files: dict[str, NonEmpty] = Field(
        default_factory=dict,
        description="Extra files copied into the model folder: path inside the model folder ->"
        " path relative to the project file.",
        examples=[{"labels.txt": "models/labels.txt"}],
    )
    execution_env: str | None = Field(
        default=None,
        description="python models: a conda-pack tarball placed in the model folder;"
        " EXECUTION_ENV_PATH points at it.",
        examples=["envs/preprocess.tar.gz"],
    )
    onnx: OnnxBuild | None = Field(
        examples=[{"opset": 17, "optimize": "extended", "parity": {"atol": 0.001}}],
        default=None,
        description="How an onnx model is built (opset, optimize, fp16, parity...).",
    )
    tensorrt_llm: TrtLlmBuild | None = Field(
        examples=[
            {
                "checkpoint": "checkpoints/TinyLlama-1.1B-Chat-v1.0",
                "max_batch_size": 16,
                "serving": {"streaming": True},
            }
        ],
        default=None,
        description="How a tensorrt_llm model's engine is built and served (required for that"
        " kind).",
    )

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

    model: NonEmpty = Field(
        description="The model this step runs (a model or ensemble of this project).",
        examples=["preprocess"],
    )
    version: Version | None = Field(
        default=None,
        description="The step model's version; unset: the newest version Triton serves.",
        examples=[2],
    )
    inputs: dict[str, str] = Field(
        min_length=1,
        description="Step model input tensor -> ensemble tensor that feeds it (an ensemble"
        " input or an earlier step's output).",
        examples=[{"RAW": "RAW"}],
    )
    outputs: dict[str, str] = Field(
        min_length=1,
        description="Step model output tensor -> ensemble tensor it produces (an ensemble"
        " output or an input of a later step).",
        examples=[{"FEATURES": "features"}],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "model_name": "a step says 'model'",
        "input_map": "a step says 'inputs' (step tensor: ensemble tensor)",
        "output_map": "a step says 'outputs' (step tensor: ensemble tensor)",
    }


class EnsembleSpec(SpecModel):
    """A pipeline of models; Triton runs it with ``platform: ensemble``."""

    name: TritonName = Field(
        description="The ensemble's name: the model clients call.", examples=["pipeline"]
    )
    kind: Literal["ensemble"] = Field(
        examples=["ensemble"],
        default="ensemble",
        description="Always ensemble; required when the ensemble is written under models:.",
    )
    max_batch_size: Count = Field(
        default=0,
        description="Largest batch the ensemble accepts; at most every step model's"
        " max_batch_size.",
        examples=[32],
    )
    inputs: list[ModelInput] = Field(
        default_factory=list,
        description="The tensors clients send.",
        examples=[[{"name": "RAW", "data_type": "fp32", "dims": [4]}]],
    )
    outputs: list[ModelOutput] = Field(
        default_factory=list,
        description="The tensors clients get back.",
        examples=[[{"name": "SCORES", "data_type": "fp32", "dims": [3]}]],
    )
    steps: list[EnsembleStepSpec] = Field(
        examples=[
            [
                {
                    "model": "preprocess",
                    "inputs": {"RAW": "RAW"},
                    "outputs": {"FEATURES": "features"},
                },
                {
                    "model": "classifier",
                    "inputs": {"input": "features"},
                    "outputs": {"probabilities": "SCORES"},
                },
            ]
        ],
        min_length=1,
        description="The models it runs, wired by tensor name, in any order.",
    )
    version_policy: VersionPolicy | None = Field(
        examples=[{"latest": {"num_versions": 1}}],
        default=None,
        description="Version policy of the ensemble itself (it has version 1).",
    )
    parameters: dict[str, ParameterValue] = Field(
        examples=[{"owner": "search-team"}],
        default_factory=dict,
        description="config.pbtxt parameters of the ensemble.",
    )
    response_cache: ResponseCache | None = Field(
        default=None,
        description="Cache the ensemble's responses (Triton caches an ensemble as a whole).",
        examples=[{"enable": True}],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "source": "an ensemble runs other models and has no source; remove it",
        "instance_group": "Triton rejects instance_group on an ensemble; set it on the step models",
        "optimization": "Triton rejects optimization on an ensemble; set it on the step models",
        "model_warmup": "Triton rejects model_warmup on an ensemble; warm up the step models",
        "dynamic_batching": "an ensemble has no scheduler of its own; batch in the step models",
        "versions": "an ensemble always has the single version 1; remove it",
    }
