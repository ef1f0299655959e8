"""The engine build plan: argv per option family, and the errors of a build that cannot run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tritonops.builders.tensorrt_llm import Toolchain, plan_steps
from tritonops.builders.tensorrt_llm import engine as engine_mod
from tritonops.builders.tensorrt_llm.commands import display, find_toolchain
from tritonops.errors import BuildError
from tritonops.spec.trtllm_build import TrtLlmBuild

TOOLS = Toolchain(python="python3", examples=Path("/ex"), trtllm_build=("trtllm-build",))
CKPT = Path("/ck")
OUT = Path("/out")


def steps(**options: Any) -> tuple[list[str], list[str]]:
    convert, build = plan_steps(TrtLlmBuild(checkpoint="ck", **options), CKPT, OUT, TOOLS)
    return convert, build


def value(argv: list[str], flag: str) -> str:
    assert flag in argv, f"{flag} missing from {argv}"
    return argv[argv.index(flag) + 1]


def test_default_plan_converts_then_builds() -> None:
    convert, build = steps()
    assert convert[:2] == ["python3", "/ex/models/core/llama/convert_checkpoint.py"]
    assert value(convert, "--model_dir") == "/ck"
    assert value(convert, "--output_dir") == "/out/_checkpoint"
    assert build[0] == "trtllm-build"
    assert value(build, "--checkpoint_dir") == "/out/_checkpoint"
    assert value(build, "--output_dir") == "/out"
    assert value(build, "--kv_cache_type") == "paged"
    assert value(build, "--max_batch_size") == "64"
    assert "--use_weight_only" not in convert
    assert "--smoothquant" not in convert


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "auto"])
def test_dtype_reaches_the_converter(dtype: str) -> None:
    assert value(steps(dtype=dtype)[0], "--dtype") == dtype


def test_parallelism_and_workers() -> None:
    convert, build = steps(tp_size=4, pp_size=2)
    assert (value(convert, "--tp_size"), value(convert, "--pp_size")) == ("4", "2")
    assert value(build, "--workers") == "8"


def test_limits_reach_trtllm_build() -> None:
    build = steps(max_input_len=512, max_seq_len=1024, max_num_tokens=2048, max_beam_width=4)[1]
    assert value(build, "--max_input_len") == "512"
    assert value(build, "--max_seq_len") == "1024"
    assert value(build, "--max_num_tokens") == "2048"
    assert value(build, "--max_beam_width") == "4"
    assert "--opt_num_tokens" not in build
    assert value(steps(opt_num_tokens=1024)[1], "--opt_num_tokens") == "1024"


@pytest.mark.parametrize(("quantization", "precision"), [("int8_wo", "int8"), ("int4_wo", "int4")])
def test_weight_only_uses_convert_checkpoint(quantization: str, precision: str) -> None:
    convert = steps(quantization=quantization)[0]
    assert convert[1].endswith("convert_checkpoint.py")
    assert "--use_weight_only" in convert
    assert value(convert, "--weight_only_precision") == precision


def test_smoothquant_uses_convert_checkpoint_with_alpha() -> None:
    convert = steps(quantization="int8_sq", smoothquant_alpha=0.8)[0]
    assert convert[1].endswith("convert_checkpoint.py")
    assert value(convert, "--smoothquant") == "0.8"
    assert "--per_channel" in convert
    assert "--per_token" in convert
    assert value(convert, "--calib_size") == "512"


@pytest.mark.parametrize("quantization", ["fp8", "int4_awq", "w4a8_awq", "nvfp4"])
def test_modelopt_quantizations_use_quantize_py(quantization: str) -> None:
    convert, build = steps(quantization=quantization)
    assert convert[1] == "/ex/quantization/quantize.py"
    assert value(convert, "--qformat") == quantization
    assert value(convert, "--output_dir") == "/out/_checkpoint"
    awq = quantization in ("int4_awq", "w4a8_awq")
    assert ("--awq_block_size" in convert) is awq
    fp8_attention = quantization in ("fp8", "w4a8_awq", "nvfp4")
    assert ("--use_fp8_context_fmha" in build) is fp8_attention


def test_awq_block_size() -> None:
    assert value(steps(quantization="int4_awq", awq_block_size=64)[0], "--awq_block_size") == "64"


@pytest.mark.parametrize(("kv", "flag"), [("int8", "--int8_kv_cache"), ("fp8", "--fp8_kv_cache")])
def test_kv_cache_dtype_on_the_convert_route(kv: str, flag: str) -> None:
    convert = steps(kv_cache_dtype=kv)[0]
    assert flag in convert
    assert "--kv_cache_dtype" not in convert


def test_kv_cache_dtype_on_the_modelopt_route() -> None:
    convert = steps(quantization="fp8", kv_cache_dtype="fp8")[0]
    assert value(convert, "--kv_cache_dtype") == "fp8"
    assert "--fp8_kv_cache" not in convert


def test_continuous_kv_cache_and_fmha_switches() -> None:
    build = steps(paged_kv_cache=False, use_paged_context_fmha=False, context_fmha=False)[1]
    assert value(build, "--kv_cache_type") == "continuous"
    assert value(build, "--context_fmha") == "disable"
    assert value(build, "--use_paged_context_fmha") == "disable"
    build = steps()[1]
    assert value(build, "--context_fmha") == "enable"
    assert value(build, "--use_paged_context_fmha") == "enable"


def test_multiple_profiles() -> None:
    assert value(steps(multiple_profiles=True)[1], "--multiple_profiles") == "enable"
    assert value(steps()[1], "--multiple_profiles") == "disable"


def test_lora_plan_uses_the_resolved_folder() -> None:
    build_options = TrtLlmBuild(
        checkpoint="ck",
        lora={"dir": "adapters", "target_modules": ["attn_qkv", "mlp_gate"], "max_rank": 16},
    )
    build = plan_steps(build_options, CKPT, OUT, TOOLS, lora_dir=Path("/p/adapters"))[1]
    assert value(build, "--lora_plugin") == "auto"
    assert value(build, "--lora_dir") == "/p/adapters"
    start = build.index("--lora_target_modules") + 1
    assert build[start : start + 2] == ["attn_qkv", "mlp_gate"]
    assert value(build, "--max_lora_rank") == "16"
    assert "--lora_plugin" not in steps()[1]


def test_speculative_decoding() -> None:
    build = steps(speculative={"mode": "medusa", "max_draft_len": 63})[1]
    assert value(build, "--speculative_decoding_mode") == "medusa"
    assert value(build, "--max_draft_len") == "63"


def test_display_quotes_each_argument() -> None:
    lines = display([["trtllm-build", "--output_dir", "/a b/engine"]])
    assert lines == ["trtllm-build --output_dir '/a b/engine'"]


def test_toolchain_prefers_the_option_then_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRTLLM_EXAMPLES_DIR", str(tmp_path / "env"))
    assert find_toolchain(tmp_path / "opt").examples == tmp_path / "opt"
    assert find_toolchain(None).examples == tmp_path / "env"
    monkeypatch.delenv("TRTLLM_EXAMPLES_DIR")
    assert find_toolchain(None).examples == Path("/app/tensorrt_llm/examples")


def test_legacy_examples_layout_is_found(tmp_path: Path) -> None:
    (tmp_path / "llama").mkdir()
    (tmp_path / "llama" / "convert_checkpoint.py").write_text("")
    tools = Toolchain(python="python3", examples=tmp_path, trtllm_build=("trtllm-build",))
    assert tools.convert_script("llama") == tmp_path / "llama" / "convert_checkpoint.py"


def test_missing_package_names_it_and_the_dry_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engine_mod, "package_version", lambda: None)
    with pytest.raises(BuildError) as raised:
        engine_mod.require_environment([tmp_path / "convert_checkpoint.py"], 2, gpus=0)
    text = str(raised.value)
    assert "`tensorrt_llm` is not installed" in text
    assert "convert_checkpoint.py does not exist" in text
    assert "no NVIDIA GPU is visible, and the engine needs 2" in text
    assert "--dry-run" in text


def test_too_few_gpus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(engine_mod, "package_version", lambda: "1.2.1")
    script = tmp_path / "convert_checkpoint.py"
    script.write_text("")
    assert engine_mod.require_environment([script], 2, gpus=2) == "1.2.1"
    with pytest.raises(BuildError, match="only 1 GPU"):
        engine_mod.require_environment([script], 2, gpus=1)


def test_a_failing_step_carries_its_stderr_tail(tmp_path: Path) -> None:
    fail = [
        "python3",
        "-c",
        "import sys; print('loading'); sys.stderr.write('CUDA out of memory\\n'); sys.exit(3)",
    ]
    with pytest.raises(BuildError) as raised:
        engine_mod.run_steps([fail], tmp_path)
    assert "exit code 3" in str(raised.value)
    assert "CUDA out of memory" in str(raised.value)


def test_a_missing_tool_is_a_build_error(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="cannot start"):
        engine_mod.run_steps([[str(tmp_path / "no-such-tool"), "--x"]], tmp_path)
