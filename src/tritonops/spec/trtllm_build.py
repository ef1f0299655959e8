"""A model's ``tensorrt_llm:`` section: how its engine is built and how Triton serves it.

The fields follow ``trtllm-build`` and the ``inflight_batcher_llm`` parameters by name, so what
users read in NVIDIA's docs is what they write here. ``check_trtllm`` holds the rules that span
fields (and the model around them); each issue names both fields and the fix, at its line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from tritonops.errors import SpecIssue
from tritonops.spec.fields import Count, Fraction, NonEmpty, Positive, SpecModel
from tritonops.spec.issues import Locator
from tritonops.spec.yamlmarks import Loc

if TYPE_CHECKING:
    from tritonops.spec.models import ModelSpec

Dtype = Literal["auto", "float16", "bfloat16", "float32"]
Quantization = Literal[
    "none", "fp8", "int8_wo", "int4_wo", "int4_awq", "w4a8_awq", "int8_sq", "nvfp4"
]
KvCacheDtype = Literal["none", "fp8", "int8"]
BatchingStrategy = Literal["inflight_fused_batching", "inflight_batching", "v1"]
SchedulerPolicy = Literal["guaranteed_no_evict", "max_utilization"]
SpeculativeMode = Literal[
    "draft_tokens_external", "lookahead_decoding", "medusa", "explicit_draft_tokens", "eagle"
]
LoraModule = Literal[
    "attn_qkv", "attn_q", "attn_k", "attn_v", "attn_dense", "mlp_h_to_4h", "mlp_4h_to_h", "mlp_gate"
]


def _default_lora_modules() -> list[LoraModule]:
    return ["attn_q", "attn_k", "attn_v"]


class LoraOptions(SpecModel):
    """LoRA adapters compiled into the engine (``--lora_plugin``)."""

    dir: NonEmpty | None = Field(
        default=None,
        description="Folder of Hugging Face LoRA adapters, relative to the project file.",
        examples=["loras"],
    )
    target_modules: list[LoraModule] = Field(
        default_factory=_default_lora_modules,
        min_length=1,
        description="Modules the adapters apply to (--lora_target_modules).",
        examples=[["attn_q", "attn_v"]],
    )
    max_rank: Positive = Field(
        default=64,
        description="Highest adapter rank the engine accepts (--max_lora_rank).",
        examples=[16],
    )


class SpeculativeOptions(SpecModel):
    """Speculative decoding (``--speculative_decoding_mode``, ``--max_draft_len``)."""

    mode: SpeculativeMode = Field(
        description="The speculative decoding mode (--speculative_decoding_mode).",
        examples=["medusa"],
    )
    max_draft_len: Count = Field(
        default=0,
        description="Draft tokens proposed per step (--max_draft_len); must be > 0.",
        examples=[4],
    )


class ServingOptions(SpecModel):
    """How Triton serves the engine: the tensorrt_llm model's parameters and the helper models."""

    streaming: bool = Field(
        default=False,
        description="Stream tokens as they are generated; makes the model decoupled.",
        examples=[True],
    )
    batching_strategy: BatchingStrategy = Field(
        default="inflight_fused_batching",
        description="The tensorrt_llm backend's gpt_model_type (in-flight batching or v1).",
        examples=["inflight_fused_batching"],
    )
    batch_scheduler_policy: SchedulerPolicy = Field(
        default="guaranteed_no_evict",
        description="max_utilization packs more requests; guaranteed_no_evict never pauses one.",
        examples=["max_utilization"],
    )
    max_beam_width: Positive | None = Field(
        default=None,
        description="Beam width served; unset: the engine's max_beam_width.",
        examples=[1],
    )
    kv_cache_free_gpu_mem_fraction: Fraction = Field(
        default=0.9, description="Share of free GPU memory given to the KV cache.", examples=[0.85]
    )
    max_tokens_in_paged_kv_cache: Positive | None = Field(
        default=None,
        description="Cap on tokens held in the paged KV cache; unset: no cap.",
        examples=[65536],
    )
    enable_kv_cache_reuse: bool = Field(
        default=False,
        description="Reuse the KV cache of shared prompt prefixes (needs use_paged_context_fmha).",
        examples=[True],
    )
    enable_chunked_context: bool = Field(
        default=False,
        description="Split long prompts over several steps (needs use_paged_context_fmha).",
        examples=[True],
    )
    exclude_input_in_output: bool = Field(
        default=True,
        description="Return only the generated tokens, not the prompt.",
        examples=[True],
    )
    max_queue_delay_microseconds: Count = Field(
        default=0, description="Longest a request waits in the queue for batching.", examples=[100]
    )
    max_queue_size: Count = Field(
        default=0, description="Most requests waiting; 0: unbounded.", examples=[64]
    )
    triton_max_batch_size: Positive | None = Field(
        default=None,
        description="max_batch_size of the served models; unset: the engine's max_batch_size.",
        examples=[16],
    )
    preprocessing_instance_count: Positive = Field(
        default=1, description="Instances of the tokenizing preprocessing model.", examples=[2]
    )
    postprocessing_instance_count: Positive = Field(
        default=1, description="Instances of the detokenizing postprocessing model.", examples=[2]
    )
    bls: bool = Field(
        default=False,
        description="Also write the tensorrt_llm_bls model (business-logic scripting front end).",
        examples=[True],
    )
    bls_instance_count: Positive = Field(
        default=1, description="Instances of the BLS model.", examples=[1]
    )
    gpu_device_ids: list[Count] = Field(
        default_factory=list,
        description="GPUs the engine runs on, one per rank (tp_size x pp_size); empty: the"
        " default.",
        examples=[[0]],
    )
    engine_dir: NonEmpty | None = Field(
        default=None,
        description="Where the engine will be on the server; unset: /models/<model name>/1.",
        examples=["/engines/llama"],
    )
    add_special_tokens: bool = Field(
        default=True,
        description="The tokenizer adds its special tokens (e.g. BOS) to prompts.",
        examples=[True],
    )
    skip_special_tokens: bool = Field(
        default=True,
        description="Special tokens are dropped from the returned text.",
        examples=[True],
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "decoupled": "set decoupled on the model itself; streaming: true turns it on",
        "decoupled_mode": "set decoupled on the model itself; streaming: true turns it on",
        "gpt_model_type": "write batching_strategy",
        "gpt_model_path": "write engine_dir",
    }


class TrtLlmBuild(SpecModel):
    """Engine build options (trtllm-build and its converters) plus ``serving`` options."""

    checkpoint: NonEmpty = Field(
        description="Hugging Face checkpoint folder (config.json, weights, tokenizer), relative"
        " to the project file.",
        examples=["checkpoints/TinyLlama-1.1B-Chat-v1.0"],
    )
    family: NonEmpty = Field(
        default="llama",
        description="Model family: picks TensorRT-LLM's checkpoint converter"
        " (examples/models/core/<family>).",
        examples=["llama"],
    )
    dtype: Dtype = Field(
        default="float16",
        description="Precision of the weights and activations.",
        examples=["bfloat16"],
    )
    tp_size: Positive = Field(
        default=1, description="Tensor-parallel ranks (GPUs splitting each layer).", examples=[2]
    )
    pp_size: Positive = Field(
        default=1, description="Pipeline-parallel ranks (GPUs splitting the layers).", examples=[1]
    )
    max_batch_size: Positive = Field(
        default=64,
        description="Most sequences the engine runs at once (--max_batch_size).",
        examples=[16],
    )
    max_input_len: Positive = Field(
        default=1024,
        description="Longest prompt, in tokens (--max_input_len); at most max_seq_len.",
        examples=[1536],
    )
    max_seq_len: Positive = Field(
        default=2048,
        description="Longest prompt plus output, in tokens (--max_seq_len).",
        examples=[2048],
    )
    max_num_tokens: Positive = Field(
        default=8192,
        description="Most tokens in one engine step over the whole batch (--max_num_tokens).",
        examples=[4096],
    )
    opt_num_tokens: Positive | None = Field(
        default=None,
        description="Token count the engine is tuned for (--opt_num_tokens); unset:"
        " trtllm-build's choice.",
        examples=[2048],
    )
    max_beam_width: Positive = Field(
        default=1,
        description="Widest beam search the engine supports (--max_beam_width).",
        examples=[1],
    )
    quantization: Quantization = Field(
        default="none",
        description="Weight/activation quantization applied when converting the checkpoint.",
        examples=["int4_awq"],
    )
    smoothquant_alpha: Fraction = Field(
        default=0.5, description="SmoothQuant migration strength, for int8_sq.", examples=[0.5]
    )
    awq_block_size: Positive = Field(
        default=128, description="AWQ group size, for int4_awq and w4a8_awq.", examples=[128]
    )
    calib_size: Positive = Field(
        default=512,
        description="Calibration samples for quantizations that calibrate.",
        examples=[512],
    )
    kv_cache_dtype: KvCacheDtype = Field(
        default="none",
        description="Quantized KV cache (fp8 or int8); none: the model dtype.",
        examples=["fp8"],
    )
    paged_kv_cache: bool = Field(
        default=True,
        description="Keep the KV cache in pages (needed for in-flight batching).",
        examples=[True],
    )
    tokens_per_block: Positive = Field(
        default=32, description="Tokens per KV cache page.", examples=[64]
    )
    context_fmha: bool = Field(
        default=True,
        description="Fused multi-head attention for the context phase.",
        examples=[True],
    )
    use_paged_context_fmha: bool = Field(
        default=True,
        description="Context attention reads the paged KV cache (needed for KV reuse and"
        " chunked context).",
        examples=[True],
    )
    multiple_profiles: bool = Field(
        default=False,
        description="Build several TensorRT optimization profiles (not with opt_num_tokens).",
        examples=[True],
    )
    lora: LoraOptions | None = Field(
        examples=[{"dir": "loras", "max_rank": 16}],
        default=None,
        description="Compile LoRA support into the engine.",
    )
    speculative: SpeculativeOptions | None = Field(
        examples=[{"mode": "medusa", "max_draft_len": 4}],
        default=None,
        description="Speculative decoding settings.",
    )
    examples_dir: NonEmpty | None = Field(
        default=None,
        description="Folder of TensorRT-LLM's examples (convert_checkpoint.py, quantize.py);"
        " unset: searched.",
        examples=["/opt/TensorRT-LLM/examples"],
    )
    serving: ServingOptions = Field(
        examples=[{"streaming": True, "kv_cache_free_gpu_mem_fraction": 0.85}],
        default_factory=ServingOptions,
        description="How Triton serves the engine.",
    )

    extra_key_hints: ClassVar[dict[str, str]] = {
        "model_dir": "write checkpoint: the HF checkpoint folder, relative to the project file",
        "qformat": "write quantization",
        "kv_cache_type": "write paged_kv_cache: true or false",
        "streaming": "streaming is a serving option: put it under serving:",
        "tensor_parallel_size": "write tp_size",
        "pipeline_parallel_size": "write pp_size",
    }

    @property
    def world_size(self) -> int:
        return self.tp_size * self.pp_size

    @property
    def triton_max_batch_size(self) -> int:
        return self.serving.triton_max_batch_size or self.max_batch_size

    @property
    def runtime_beam_width(self) -> int:
        return self.serving.max_beam_width or self.max_beam_width


# quantizations whose kernels run with half-precision activations only
_HALF_ONLY = ("int8_wo", "int4_wo", "int4_awq", "w4a8_awq", "int8_sq", "fp8", "nvfp4")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "vocab.txt")


def check_trtllm(spec: ModelSpec, loc: Loc, root: Path, at: Locator) -> list[SpecIssue]:
    """Every cross-field problem of a tensorrt_llm model's build and serving options."""
    here = (*loc, "tensorrt_llm")
    build = spec.tensorrt_llm
    if spec.kind != "tensorrt_llm":
        if build is None:
            return []
        return [at.issue(here, f"tensorrt_llm options on a {spec.kind} model", "remove them")]
    if build is None:
        return [
            at.issue(
                loc,
                f"tensorrt_llm model {spec.name!r} has no tensorrt_llm: section",
                "add tensorrt_llm: with checkpoint: <HF checkpoint folder>",
            )
        ]
    issues = _check_files(build, here, root, at)
    issues += _check_limits(build, here, at)
    issues += _check_kv_cache(build, here, at)
    issues += _check_quantization(build, here, at)
    issues += _check_features(build, here, at)
    issues += _check_serving(spec, build, loc, at)
    return issues


def _check_files(build: TrtLlmBuild, here: Loc, root: Path, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    checkpoint = _resolve(root, build.checkpoint)
    if not (checkpoint / "config.json").is_file():
        issues.append(
            at.issue(
                (*here, "checkpoint"),
                f"{build.checkpoint!r} is not a Hugging Face checkpoint folder (no config.json "
                f"in {checkpoint})",
                "point checkpoint at the folder holding config.json, the weights and the tokenizer",
            )
        )
    elif not any((checkpoint / name).is_file() for name in _TOKENIZER_FILES):
        issues.append(
            at.issue(
                (*here, "checkpoint"),
                f"{build.checkpoint!r} holds no tokenizer ({', '.join(_TOKENIZER_FILES)}); "
                "preprocessing and postprocessing need one",
                "copy the tokenizer files of the model into the checkpoint folder",
            )
        )
    lora_dir = build.lora.dir if build.lora is not None else None
    if lora_dir is not None and not _resolve(root, lora_dir).is_dir():
        issues.append(
            at.issue(
                (*here, "lora", "dir"),
                f"LoRA folder {lora_dir!r} does not exist",
                "point dir at a folder of HF LoRA adapters, relative to the project file",
            )
        )
    return issues


def _check_limits(build: TrtLlmBuild, here: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    if build.max_input_len > build.max_seq_len:
        issues.append(
            at.issue(
                (*here, "max_input_len"),
                f"max_input_len {build.max_input_len} exceeds max_seq_len {build.max_seq_len}"
                " (prompt plus output)",
                f"lower max_input_len to <= {build.max_seq_len} or raise max_seq_len",
            )
        )
    chunked = build.serving.enable_chunked_context
    if not chunked and build.max_num_tokens < build.max_input_len:
        issues.append(
            at.issue(
                (*here, "max_num_tokens"),
                f"max_num_tokens {build.max_num_tokens} is below max_input_len "
                f"{build.max_input_len}: without chunked context a full prompt must fit in one "
                "step",
                f"raise max_num_tokens to >= {build.max_input_len} or set "
                "serving.enable_chunked_context: true",
            )
        )
    if build.multiple_profiles and build.opt_num_tokens is not None:
        issues.append(
            at.issue(
                (*here, "opt_num_tokens"),
                "trtllm-build cannot combine multiple_profiles with opt_num_tokens",
                "remove opt_num_tokens or set multiple_profiles: false",
            )
        )
    if build.opt_num_tokens is not None and build.opt_num_tokens > build.max_num_tokens:
        issues.append(
            at.issue(
                (*here, "opt_num_tokens"),
                f"opt_num_tokens {build.opt_num_tokens} exceeds max_num_tokens "
                f"{build.max_num_tokens}",
                f"lower opt_num_tokens to <= {build.max_num_tokens}",
            )
        )
    return issues


def _check_kv_cache(build: TrtLlmBuild, here: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    if build.use_paged_context_fmha and not (build.context_fmha and build.paged_kv_cache):
        issues.append(
            at.issue(
                (*here, "use_paged_context_fmha"),
                "use_paged_context_fmha needs context_fmha: true and paged_kv_cache: true",
                "turn both on, or set use_paged_context_fmha: false",
            )
        )
    serving = build.serving
    for flag, on in (
        ("enable_kv_cache_reuse", serving.enable_kv_cache_reuse),
        ("enable_chunked_context", serving.enable_chunked_context),
    ):
        if on and not (build.use_paged_context_fmha and build.paged_kv_cache):
            issues.append(
                at.issue(
                    (*here, "serving", flag),
                    f"serving.{flag} needs an engine built with use_paged_context_fmha: true and "
                    "paged_kv_cache: true (the backend refuses it otherwise)",
                    f"set use_paged_context_fmha and paged_kv_cache to true, or {flag}: false",
                )
            )
    if serving.max_tokens_in_paged_kv_cache is not None and not build.paged_kv_cache:
        issues.append(
            at.issue(
                (*here, "serving", "max_tokens_in_paged_kv_cache"),
                "max_tokens_in_paged_kv_cache needs paged_kv_cache: true",
                "remove it or turn paged_kv_cache on",
            )
        )
    return issues


def _check_quantization(build: TrtLlmBuild, here: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    if build.quantization in _HALF_ONLY and build.dtype == "float32":
        issues.append(
            at.issue(
                (*here, "quantization"),
                f"quantization {build.quantization} runs with float16/bfloat16 activations, but "
                "dtype is float32",
                "set dtype: float16 (or bfloat16), or quantization: none",
            )
        )
    if build.kv_cache_dtype != "none" and build.dtype == "float32":
        issues.append(
            at.issue(
                (*here, "kv_cache_dtype"),
                f"a {build.kv_cache_dtype} KV cache needs float16/bfloat16 activations, but dtype "
                "is float32",
                "set dtype: float16 (or bfloat16), or kv_cache_dtype: none",
            )
        )
    return issues


def _check_features(build: TrtLlmBuild, here: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    speculative = build.speculative
    if speculative is not None:
        if speculative.max_draft_len == 0:
            issues.append(
                at.issue(
                    (*here, "speculative", "max_draft_len"),
                    f"speculative mode {speculative.mode} needs max_draft_len > 0",
                    "set max_draft_len to the number of draft tokens per step, e.g. 4",
                )
            )
        if build.max_beam_width > 1:
            issues.append(
                at.issue(
                    (*here, "max_beam_width"),
                    f"speculative decoding ({speculative.mode}) supports beam width 1 only "
                    f"(max_beam_width is {build.max_beam_width})",
                    "set max_beam_width: 1 or remove speculative",
                )
            )
    return issues


def _check_serving(spec: ModelSpec, build: TrtLlmBuild, loc: Loc, at: Locator) -> list[SpecIssue]:
    here = (*loc, "tensorrt_llm", "serving")
    serving = build.serving
    issues: list[SpecIssue] = []
    if serving.streaming and _decoupled_set_false(spec):
        field = "decoupled" if spec.decoupled is not None else "model_transaction_policy"
        issues.append(
            at.issue(
                (*here, "streaming"),
                f"streaming needs a decoupled model, but {field} turns decoupled off",
                f"remove {field} (streaming sets decoupled) or set streaming: false",
            )
        )
    gpus = serving.gpu_device_ids
    if gpus and len(gpus) != build.world_size:
        issues.append(
            at.issue(
                (*here, "gpu_device_ids"),
                f"{len(gpus)} GPU(s) listed but the engine has world size {build.world_size} "
                f"(tp_size {build.tp_size} x pp_size {build.pp_size})",
                f"list exactly {build.world_size} GPU id(s) or change tp_size/pp_size",
            )
        )
    if len(set(gpus)) != len(gpus):
        issues.append(
            at.issue((*here, "gpu_device_ids"), "a GPU id is listed twice", "list each once")
        )
    if serving.max_beam_width is not None and serving.max_beam_width > build.max_beam_width:
        issues.append(
            at.issue(
                (*here, "max_beam_width"),
                f"serving.max_beam_width {serving.max_beam_width} exceeds the engine's "
                f"max_beam_width {build.max_beam_width}",
                f"lower it to <= {build.max_beam_width} or rebuild with a larger max_beam_width",
            )
        )
    limit = serving.triton_max_batch_size
    if limit is not None and limit > build.max_batch_size:
        issues.append(
            at.issue(
                (*here, "triton_max_batch_size"),
                f"triton_max_batch_size {limit} exceeds the engine's max_batch_size "
                f"{build.max_batch_size}",
                f"lower it to <= {build.max_batch_size} or raise max_batch_size",
            )
        )
    if spec.max_batch_size not in (0, build.triton_max_batch_size):
        issues.append(
            at.issue(
                (*loc, "max_batch_size"),
                "a tensorrt_llm model takes its Triton max_batch_size from "
                "tensorrt_llm.serving.triton_max_batch_size",
                "remove max_batch_size here and set serving.triton_max_batch_size",
            )
        )
    if len(spec.versions) > 1:
        issues.append(
            at.issue(
                (*loc, "versions"),
                "gpt_model_path names one engine, so a tensorrt_llm model has one version",
                f"keep one version, e.g. [{max(spec.versions)}]",
            )
        )
    for key in ("inputs", "outputs"):
        if getattr(spec, key):
            issues.append(
                at.issue(
                    (*loc, key),
                    f"the tensorrtllm backend fixes the engine model's {key}; tritonops writes "
                    "them (and the ensemble's)",
                    f"remove {key}",
                )
            )
    return issues


def _resolve(root: Path, relative: str) -> Path:
    # the same lexical rule as spec.sources.resolve (which imports models, so not imported here)
    return Path(os.path.normpath(root / relative))


def _decoupled_set_false(spec: ModelSpec) -> bool:
    if spec.decoupled is not None:
        return not spec.decoupled
    policy = spec.model_transaction_policy
    return policy is not None and not policy.decoupled
