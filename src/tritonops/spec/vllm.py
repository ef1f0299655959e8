"""A ``kind: vllm`` model: the engine arguments of Triton's vLLM backend, typed and checked.

Triton's vLLM backend (github.com/triton-inference-server/vllm_backend, ``src/model.py``) reads
``<version>/model.json`` and passes every key to vLLM's ``AsyncEngineArgs(**json)``; an unknown key
is a ``TypeError`` at load time, after the server has started. Here the keys are fields of
``VllmEngineArgs`` (``extra="forbid"``), so a typo is found in the project file, with the line and
the closest known name. Names, types and limits follow vLLM's engine-argument reference
(docs.vllm.ai "Engine Arguments", ``vllm/engine/arg_utils.py`` and ``vllm/config``); ``check_vllm``
holds the rules that span fields, and those that span the model around them.

The config.pbtxt half of the contract (inputs, outputs, decoupled, ``max_batch_size: 0``,
``KIND_MODEL``) is what the backend's ``auto_complete_config`` writes; ``vllm_config`` writes it
explicitly so the rendered file is the whole truth, also for a server that runs with
``--disable-auto-complete-config``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from tritonops.errors import SpecIssue
from tritonops.model_config import (
    DataType,
    InstanceGroup,
    InstanceKind,
    ModelConfig,
    ModelInput,
    ModelOutput,
    TransactionPolicy,
)
from tritonops.spec.fields import NonEmpty, SpecModel
from tritonops.spec.issues import Locator
from tritonops.spec.yamlmarks import Loc

if TYPE_CHECKING:
    from tritonops.spec.models import ModelSpec

ENGINE_ARGS_FILE = "model.json"  # vllm_backend src/model.py: _VLLM_ENGINE_ARGS_FILENAME
BACKEND = "vllm"

# vLLM's ModelDType (vllm/config: ModelDType literal; `--dtype` choices in the engine-args docs)
Dtype = Literal["auto", "half", "float16", "bfloat16", "float", "float32"]
# vLLM's CacheDType (vllm/config: CacheDType; `--kv-cache-dtype` choices)
KvCacheDtype = Literal["auto", "fp8", "fp8_e4m3", "fp8_e5m2"]
# vLLM's BlockSize (vllm/config: BlockSize literal; `--block-size` choices)
BlockSize = Literal[1, 8, 16, 32, 64, 128]
# vLLM's QuantizationMethods (vllm/model_executor/layers/quantization/__init__.py, v0.9 series);
# `--quantization` refuses any other name.
Quantization = Literal[
    "aqlm",
    "awq",
    "awq_marlin",
    "bitblas",
    "bitsandbytes",
    "compressed-tensors",
    "deepspeedfp",
    "experts_int8",
    "fbgemm_fp8",
    "fp8",
    "gguf",
    "gptq",
    "gptq_bitblas",
    "gptq_marlin",
    "gptq_marlin_24",
    "hqq",
    "ipex",
    "marlin",
    "modelopt",
    "modelopt_fp4",
    "moe_wna16",
    "neuron_quant",
    "ptpc_fp8",
    "qqq",
    "quark",
    "torchao",
    "tpu_int8",
]
# vLLM's SpeculativeMethod (vllm/config: SpeculativeConfig.method)
SpeculativeMethod = Literal[
    "ngram", "eagle", "eagle3", "medusa", "mlp_speculator", "draft_model", "deepseek_mtp"
]


class SpeculativeConfig(SpecModel):
    """vLLM's ``speculative_config``, an object in model.json (vllm/config SpeculativeConfig)."""

    method: SpeculativeMethod | None = Field(
        default=None,
        description="How draft tokens are proposed: ngram (from the prompt), eagle, eagle3,"
        " medusa, mlp_speculator, draft_model or deepseek_mtp.",
        examples=["ngram"],
    )
    model: NonEmpty | None = Field(
        default=None,
        description="The draft model, or the EAGLE/Medusa/MLP head; ngram takes none.",
        examples=["yuhuili/EAGLE-LLaMA3-Instruct-8B"],
    )
    num_speculative_tokens: int = Field(
        strict=True,
        gt=0,
        description="Tokens proposed per step.",
        examples=[4],
    )
    draft_tensor_parallel_size: int | None = Field(
        default=None,
        strict=True,
        gt=0,
        description="GPUs the draft model spans.",
        examples=[1],
    )
    prompt_lookup_max: int | None = Field(
        default=None,
        strict=True,
        gt=0,
        description="ngram: the longest n-gram matched in the prompt.",
        examples=[4],
    )
    prompt_lookup_min: int | None = Field(
        default=None,
        strict=True,
        gt=0,
        description="ngram: the shortest n-gram matched in the prompt.",
        examples=[2],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "speculative_model": "vLLM now takes the draft model as speculative_config.model",
        "num_lookahead_slots": "set num_speculative_tokens; vLLM derives the lookahead slots",
    }


class VllmEngineArgs(SpecModel):
    """The keys of model.json, as vLLM's ``AsyncEngineArgs`` names them. Unset keys are not
    written, so vLLM's own defaults apply (0.9 GPU memory utilization, dtype auto, ...)."""

    model: NonEmpty = Field(
        description="The checkpoint vLLM serves: a Hugging Face id or a folder where it runs.",
        examples=["TinyLlama/TinyLlama-1.1B-Chat-v1.0"],
    )
    tokenizer: NonEmpty | None = Field(
        default=None,
        description="The tokenizer's id or folder; empty: the model's.",
        examples=["TinyLlama/TinyLlama-1.1B-Chat-v1.0"],
    )
    revision: NonEmpty | None = Field(
        default=None, description="The model's branch, tag or commit on the Hub.", examples=["main"]
    )
    trust_remote_code: bool | None = Field(
        default=None, description="Run the checkpoint's own code from the Hub.", examples=[False]
    )
    dtype: Dtype | None = Field(
        default=None,
        description="Weights and activations type: auto, half, float16, bfloat16, float, float32.",
        examples=["float16"],
    )
    seed: int | None = Field(
        default=None, strict=True, ge=0, description="Random seed of sampling.", examples=[0]
    )
    max_model_len: int | None = Field(
        default=None,
        strict=True,
        gt=0,
        description="Longest sequence (prompt + output) in tokens; empty: the checkpoint's.",
        examples=[2048],
    )
    quantization: Quantization | None = Field(
        default=None,
        description="Weight quantization method (awq, gptq, fp8, ...); empty: the checkpoint's.",
        examples=["awq"],
    )
    tensor_parallel_size: int | None = Field(
        default=None, strict=True, ge=1, description="GPUs each layer is split over.", examples=[1]
    )
    pipeline_parallel_size: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        description="Pipeline stages the layers are split into.",
        examples=[1],
    )
    gpu_memory_utilization: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Share of GPU memory vLLM may take, in (0, 1]; vLLM's default 0.9.",
        examples=[0.85],
    )
    kv_cache_dtype: KvCacheDtype | None = Field(
        default=None, description="KV cache type: auto, fp8, fp8_e4m3, fp8_e5m2.", examples=["fp8"]
    )
    block_size: BlockSize | None = Field(
        default=None,
        description="Tokens per KV cache block: 1, 8, 16, 32, 64 or 128.",
        examples=[16],
    )
    swap_space: float | None = Field(
        default=None, ge=0, description="CPU swap space per GPU, GiB.", examples=[4]
    )
    cpu_offload_gb: float | None = Field(
        default=None,
        ge=0,
        description="Weights offloaded to CPU memory per GPU, GiB.",
        examples=[0],
    )
    enable_prefix_caching: bool | None = Field(
        default=None, description="Reuse the KV cache of shared prompt prefixes.", examples=[True]
    )
    enable_chunked_prefill: bool | None = Field(
        default=None,
        description="Split long prefills into chunks scheduled with decodes.",
        examples=[True],
    )
    max_num_seqs: int | None = Field(
        default=None, strict=True, ge=1, description="Most sequences in one step.", examples=[16]
    )
    max_num_batched_tokens: int | None = Field(
        default=None, strict=True, ge=1, description="Most tokens in one step.", examples=[4096]
    )
    enforce_eager: bool | None = Field(
        default=None, description="Run eagerly, without CUDA graphs.", examples=[False]
    )
    disable_log_stats: bool | None = Field(
        default=None, description="Do not log (or export) engine statistics.", examples=[False]
    )
    speculative_config: SpeculativeConfig | None = Field(
        default=None,
        description="Speculative decoding: how draft tokens are proposed and how many.",
        examples=[{"method": "ngram", "num_speculative_tokens": 4}],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "tp_size": "vLLM says tensor_parallel_size",
        "pp_size": "vLLM says pipeline_parallel_size",
        "max_seq_len": "vLLM says max_model_len",
        "speculative_model": "write speculative_config: {model: ..., num_speculative_tokens: N}",
        "num_speculative_tokens": "write it under speculative_config",
        "kv_cache_free_gpu_mem_fraction": "that is TensorRT-LLM's; vLLM says "
        "gpu_memory_utilization",
        "enable_lora": "LoRA needs multi_lora.json beside model.json, which tritonops does not "
        "write yet; serve adapters from a python model or TensorRT-LLM",
    }

    def engine_json(self) -> str:
        """model.json's text: the keys the user set, in field order, and nothing else."""
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, indent=2) + "\n"

    @property
    def world_size(self) -> int:
        return (self.tensor_parallel_size or 1) * (self.pipeline_parallel_size or 1)


def _bool_input(name: str) -> ModelInput:
    return ModelInput(name=name, data_type=DataType.TYPE_BOOL, dims=[1], optional=True)


# The backend's request contract (vllm_backend src/model.py, _auto_complete_inputs_and_outputs),
# less what the local stand-in cannot honour (image, logprobs, embedding_request); a production
# Triton's auto-complete adds those back, since it only adds tensors the config does not name.
VLLM_INPUTS: tuple[ModelInput, ...] = (
    ModelInput(name="text_input", data_type=DataType.TYPE_STRING, dims=[1]),
    _bool_input("stream"),
    ModelInput(name="sampling_parameters", data_type=DataType.TYPE_STRING, dims=[1], optional=True),
    _bool_input("exclude_input_in_output"),
    _bool_input("return_finish_reason"),
    _bool_input("return_num_input_tokens"),
    _bool_input("return_num_output_tokens"),
)
VLLM_OUTPUTS: tuple[ModelOutput, ...] = (
    ModelOutput(name="text_output", data_type=DataType.TYPE_STRING, dims=[-1]),
    ModelOutput(name="finish_reason", data_type=DataType.TYPE_STRING, dims=[-1]),
    ModelOutput(name="num_input_tokens", data_type=DataType.TYPE_UINT32, dims=[1]),
    ModelOutput(name="num_output_tokens", data_type=DataType.TYPE_UINT32, dims=[-1]),
)


def vllm_config(config: ModelConfig) -> ModelConfig:
    """The config a vLLM model is served with: the backend's contract where the project left it
    open. The backend's auto-complete sets decoupled and ``max_batch_size: 0`` (vLLM batches on
    its own) and the sample repository uses one ``KIND_MODEL`` instance (vLLM places itself)."""
    update: dict[str, object] = {
        "model_transaction_policy": TransactionPolicy(decoupled=True),
        "max_batch_size": 0,
    }
    if not config.input:
        update["input"] = list(VLLM_INPUTS)
    if not config.output:
        update["output"] = list(VLLM_OUTPUTS)
    if not config.instance_group:
        update["instance_group"] = [InstanceGroup(count=1, kind=InstanceKind.KIND_MODEL)]
    return config.model_copy(update=update)


def check_vllm(spec: ModelSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    """The rules of a vllm model that span fields: each issue at its line, with the fix."""
    here = (*loc, "vllm")
    args = spec.vllm
    if spec.kind != "vllm":
        if args is None:
            return []
        return [at.issue(here, f"vllm engine arguments on a {spec.kind} model", "remove them")]
    if args is None:
        return [
            at.issue(
                loc,
                f"vllm model {spec.name!r} has no vllm: section (model.json's engine arguments)",
                "add vllm: with model: <Hugging Face id or model folder>",
            )
        ]
    issues = check_engine_args(args, here, at)
    issues += _check_model_fields(spec, args, loc, at)
    return issues


def check_engine_args(args: VllmEngineArgs, here: Loc, at: Locator) -> list[SpecIssue]:
    """The rules across engine arguments, wherever they are written (a project file's vllm:
    section, or a hand-written model.json that the repository validator reads)."""
    issues = _check_engine(args, here, at)
    issues += _check_speculative(args.speculative_config, (*here, "speculative_config"), at)
    return issues


def _check_engine(args: VllmEngineArgs, here: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    tokens, seqs = args.max_num_batched_tokens, args.max_num_seqs
    # vLLM SchedulerConfig._verify_args: a step must fit at least one token per sequence
    if tokens is not None and seqs is not None and tokens < seqs:
        issues.append(
            at.issue(
                (*here, "max_num_batched_tokens"),
                f"max_num_batched_tokens {tokens} is below max_num_seqs {seqs}: vLLM refuses a "
                "step that cannot give every sequence a token",
                f"raise max_num_batched_tokens to >= {seqs} or lower max_num_seqs",
            )
        )
    # vLLM SchedulerConfig._verify_args: without chunked prefill a whole prompt is one step
    length = args.max_model_len
    chunked = args.enable_chunked_prefill is not False
    if tokens is not None and length is not None and not chunked and tokens < length:
        issues.append(
            at.issue(
                (*here, "max_num_batched_tokens"),
                f"max_num_batched_tokens {tokens} is below max_model_len {length} with "
                "chunked prefill off: vLLM refuses it (a long prompt could never be scheduled)",
                f"raise max_num_batched_tokens to >= {length}, lower max_model_len, or set "
                "enable_chunked_prefill: true",
            )
        )
    return issues


def _check_speculative(spec: SpeculativeConfig | None, here: Loc, at: Locator) -> list[SpecIssue]:
    if spec is None:
        return []
    issues: list[SpecIssue] = []
    ngram = spec.method == "ngram"
    low, high = spec.prompt_lookup_min, spec.prompt_lookup_max
    # vLLM SpeculativeConfig.__post_init__: prompt_lookup_min must not exceed prompt_lookup_max
    if low is not None and high is not None and low > high:
        issues.append(
            at.issue(
                (*here, "prompt_lookup_min"),
                f"prompt_lookup_min {low} is above prompt_lookup_max {high}",
                "make prompt_lookup_min <= prompt_lookup_max",
            )
        )
    if not ngram and (low is not None or high is not None):
        field = "prompt_lookup_max" if high is not None else "prompt_lookup_min"
        issues.append(
            at.issue(
                (*here, field),
                "prompt lookup sizes apply to n-gram speculation only",
                "set method: ngram, or remove prompt_lookup_min/max",
            )
        )
    if not ngram and spec.model is None:
        issues.append(
            at.issue(
                here,
                f"speculative decoding ({spec.method or 'draft model'}) needs the draft model or "
                "head to run",
                "set speculative_config.model, or method: ngram (which needs no model)",
            )
        )
    if ngram and spec.model is not None:
        issues.append(
            at.issue(
                (*here, "model"),
                "n-gram speculation proposes tokens from the prompt and takes no model",
                "remove model, or choose a method that runs one (draft_model, eagle, medusa)",
            )
        )
    return issues


def _check_model_fields(
    spec: ModelSpec, args: VllmEngineArgs, loc: Loc, at: Locator
) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    # vllm_backend src/model.py _init_engine_args asserts a decoupled transaction policy
    policy = spec.model_transaction_policy
    if spec.decoupled is False or (policy is not None and not policy.decoupled):
        field = "decoupled" if spec.decoupled is False else "model_transaction_policy"
        issues.append(
            at.issue(
                (*loc, field),
                "Triton's vLLM backend refuses to load a model that is not decoupled",
                f"remove {field} (a vllm model is always decoupled)",
            )
        )
    if spec.max_batch_size != 0:
        issues.append(
            at.issue(
                (*loc, "max_batch_size"),
                "vLLM batches requests itself; the backend sets max_batch_size 0",
                "remove max_batch_size (tune vllm.max_num_seqs instead)",
            )
        )
    # vllm_backend src/model.py _validate_device_config: KIND_GPU means one GPU per instance
    if args.world_size > 1:
        for index, group in enumerate(spec.instance_group):
            if group.kind is InstanceKind.KIND_GPU:
                issues.append(
                    at.issue(
                        (*loc, "instance_group", index, "kind"),
                        f"KIND_GPU gives an instance one GPU, but the engine spans "
                        f"{args.world_size} (tensor_parallel_size x pipeline_parallel_size)",
                        "use kind: KIND_MODEL and let vLLM place its workers",
                    )
                )
    if spec.source is not None:
        issues.append(
            at.issue(
                (*loc, "source"),
                "a vllm model has no source: vLLM loads vllm.model itself",
                "remove source and name the checkpoint in vllm.model",
            )
        )
    if len(spec.versions) > 1:
        issues.append(
            at.issue(
                (*loc, "versions"),
                "every version would hold the same model.json",
                f"keep one version, e.g. [{max(spec.versions)}], or make two vllm models",
            )
        )
    return issues
