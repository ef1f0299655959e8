"""The engine build as argv lists: convert (or quantize) the HF checkpoint, then ``trtllm-build``.

Routes, as TensorRT-LLM documents them:

- none, int8_wo, int4_wo, int8_sq: ``examples/models/core/<family>/convert_checkpoint.py``
  (weight-only via ``--use_weight_only``, SmoothQuant via ``--smoothquant A --per_channel
  --per_token``; KV cache via ``--int8_kv_cache`` / ``--fp8_kv_cache``);
- fp8, int4_awq, w4a8_awq, nvfp4: ModelOpt's ``examples/quantization/quantize.py --qformat``
  (calibration; KV cache via ``--kv_cache_dtype``);
- then ``trtllm-build --checkpoint_dir <converted> --output_dir <engine>``.

Nothing here runs anything: ``engine.py`` does, with exactly these lists.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tritonops.spec.trtllm_build import TrtLlmBuild

MODELOPT_QUANTIZATIONS = ("fp8", "int4_awq", "w4a8_awq", "nvfp4")
# where NVIDIA's Triton TensorRT-LLM container keeps the TensorRT-LLM examples
CONTAINER_EXAMPLES = Path("/app/tensorrt_llm/examples")
EXAMPLES_ENV = "TRTLLM_EXAMPLES_DIR"
CHECKPOINT_SUBDIR = "_checkpoint"  # converted checkpoint, inside the work dir, removed after


@dataclass(frozen=True)
class Toolchain:
    """How the steps are started: the python that runs the example scripts, where they are."""

    python: str
    examples: Path
    trtllm_build: tuple[str, ...]

    def convert_script(self, family: str) -> Path:
        # 0.17+ keeps the model scripts under models/core/; older releases directly under examples/
        modern = self.examples / "models" / "core" / family / "convert_checkpoint.py"
        legacy = self.examples / family / "convert_checkpoint.py"
        return legacy if legacy.is_file() and not modern.is_file() else modern

    @property
    def quantize_script(self) -> Path:
        return self.examples / "quantization" / "quantize.py"


def find_toolchain(examples_dir: Path | None = None) -> Toolchain:
    """The installed tools, or their usual names where they are not installed (for the plan).

    Examples: ``examples_dir`` (the project's option), else ``$TRTLLM_EXAMPLES_DIR``, else the
    container's ``/app/tensorrt_llm/examples``. ``trtllm-build``: the console script on PATH, else
    the module behind it run with this python.
    """
    examples = examples_dir
    if examples is None and os.environ.get(EXAMPLES_ENV):
        examples = Path(os.environ[EXAMPLES_ENV])
    if examples is None:
        examples = CONTAINER_EXAMPLES
    on_path = shutil.which("trtllm-build")
    build: tuple[str, ...] = (on_path,) if on_path else ("trtllm-build",)
    return Toolchain(python=sys.executable or "python3", examples=examples, trtllm_build=build)


def uses_modelopt(build: TrtLlmBuild) -> bool:
    return build.quantization in MODELOPT_QUANTIZATIONS


def _on(flag: bool) -> str:
    return "enable" if flag else "disable"


def convert_argv(build: TrtLlmBuild, tools: Toolchain, checkpoint: Path, output: Path) -> list[str]:
    """convert_checkpoint.py, or quantize.py for the ModelOpt quantizations."""
    parallel = ["--tp_size", str(build.tp_size), "--pp_size", str(build.pp_size)]
    if uses_modelopt(build):
        argv = [tools.python, str(tools.quantize_script)]
        argv += ["--model_dir", str(checkpoint), "--output_dir", str(output)]
        argv += ["--dtype", build.dtype, "--qformat", build.quantization]
        if build.kv_cache_dtype != "none":
            argv += ["--kv_cache_dtype", build.kv_cache_dtype]
        if build.quantization in ("int4_awq", "w4a8_awq"):
            argv += ["--awq_block_size", str(build.awq_block_size)]
        return [*argv, "--calib_size", str(build.calib_size), *parallel]
    argv = [tools.python, str(tools.convert_script(build.family))]
    argv += ["--model_dir", str(checkpoint), "--output_dir", str(output), "--dtype", build.dtype]
    argv += parallel
    if build.quantization in ("int8_wo", "int4_wo"):
        precision = build.quantization.removesuffix("_wo")
        argv += ["--use_weight_only", "--weight_only_precision", precision]
    elif build.quantization == "int8_sq":
        argv += ["--smoothquant", str(build.smoothquant_alpha), "--per_channel", "--per_token"]
    if build.kv_cache_dtype == "int8":
        argv.append("--int8_kv_cache")
    elif build.kv_cache_dtype == "fp8":
        argv.append("--fp8_kv_cache")
    if build.quantization == "int8_sq" or build.kv_cache_dtype == "int8":
        argv += ["--calib_size", str(build.calib_size)]
    return argv


def build_argv(build: TrtLlmBuild, tools: Toolchain, checkpoint: Path, output: Path) -> list[str]:
    """trtllm-build over the converted checkpoint (TP/PP come from it: one engine per rank)."""
    argv = [*tools.trtllm_build, "--checkpoint_dir", str(checkpoint), "--output_dir", str(output)]
    argv += ["--max_batch_size", str(build.max_batch_size)]
    argv += ["--max_input_len", str(build.max_input_len)]
    argv += ["--max_seq_len", str(build.max_seq_len)]
    argv += ["--max_num_tokens", str(build.max_num_tokens)]
    if build.opt_num_tokens is not None:
        argv += ["--opt_num_tokens", str(build.opt_num_tokens)]
    argv += ["--max_beam_width", str(build.max_beam_width)]
    argv += ["--kv_cache_type", "paged" if build.paged_kv_cache else "continuous"]
    argv += ["--tokens_per_block", str(build.tokens_per_block)]
    # the GEMM plugin follows the checkpoint's precision, which quantized checkpoints record
    argv += ["--gemm_plugin", "auto", "--gpt_attention_plugin", "auto"]
    argv += ["--remove_input_padding", "enable"]
    argv += ["--context_fmha", _on(build.context_fmha)]
    argv += ["--use_paged_context_fmha", _on(build.use_paged_context_fmha)]
    if build.quantization in ("fp8", "w4a8_awq", "nvfp4") and build.use_paged_context_fmha:
        # FP8 context attention reads the FP8 KV cache; it only acts for these precisions
        argv += ["--use_fp8_context_fmha", "enable"]
    argv += ["--multiple_profiles", _on(build.multiple_profiles)]
    if build.lora is not None:
        argv += ["--lora_plugin", "auto"]
        if build.lora.dir is not None:
            argv += ["--lora_dir", build.lora.dir]
        argv += ["--lora_target_modules", *build.lora.target_modules]
        argv += ["--max_lora_rank", str(build.lora.max_rank)]
    if build.speculative is not None:
        argv += ["--speculative_decoding_mode", build.speculative.mode]
        argv += ["--max_draft_len", str(build.speculative.max_draft_len)]
    argv += ["--workers", str(build.world_size)]
    return argv


def plan_steps(
    build: TrtLlmBuild,
    checkpoint: Path,
    engine_dir: Path,
    tools: Toolchain | None = None,
    lora_dir: Path | None = None,
) -> list[list[str]]:
    """The argv of every step, in order; the converted checkpoint goes to ``_checkpoint``.

    ``lora_dir`` replaces the project-relative ``lora.dir`` with its resolved path.
    """
    tools = tools or find_toolchain(None)
    converted = engine_dir / CHECKPOINT_SUBDIR
    build_step = build_argv(build, tools, converted, engine_dir)
    if lora_dir is not None and "--lora_dir" in build_step:
        build_step[build_step.index("--lora_dir") + 1] = str(lora_dir)
    return [convert_argv(build, tools, checkpoint, converted), build_step]


def display(steps: list[list[str]]) -> list[str]:
    """Each step as one shell-quoted line, for ``--dry-run``."""
    return [shlex.join(step) for step in steps]
