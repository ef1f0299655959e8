"""Cross-field rules of a tensorrt_llm model: one passing and one failing case each, located."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tritonops.builders.tensorrt_llm import trtllm_model_plans
from tritonops.errors import SpecError, SpecIssue
from tritonops.spec import load_project

CHECKPOINT = Path(__file__).parents[3] / "examples/llm/checkpoints/TinyLlama-1.1B-Chat-v1.0"


def issues_of(tmp_path: Path, options: dict[str, Any], **model: Any) -> list[SpecIssue]:
    """The rule violations of one tensorrt_llm model written with ``options``."""
    shutil.copytree(CHECKPOINT, tmp_path / "ckpt", dirs_exist_ok=True)
    entry = {"name": "llm", "kind": "tensorrt_llm", **model}
    entry["tensorrt_llm"] = {"checkpoint": "ckpt", **options}
    path = tmp_path / "tritonops.yaml"
    path.write_text(yaml.safe_dump({"models": [entry]}, sort_keys=False))
    project = load_project(path)
    try:
        trtllm_model_plans(project, project.models[0])
    except SpecError as exc:
        return exc.issues
    return []


def only(issues: list[SpecIssue], path: str) -> SpecIssue:
    assert [i.path for i in issues] == [path], [str(i) for i in issues]
    issue = issues[0]
    assert issue.line is not None
    assert issue.fix
    return issue


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    (
        "input within seq",
        {"max_input_len": 1024, "max_seq_len": 1024},
        {"max_input_len": 4096, "max_seq_len": 2048},
        "models[0].tensorrt_llm.max_input_len",
        "exceeds max_seq_len",
    ),
    (
        "num tokens hold a prompt",
        {"max_input_len": 1024, "max_num_tokens": 1024},
        {"max_input_len": 2048, "max_num_tokens": 1024},
        "models[0].tensorrt_llm.max_num_tokens",
        "without chunked context",
    ),
    (
        "profiles",
        {"multiple_profiles": True},
        {"multiple_profiles": True, "opt_num_tokens": 512},
        "models[0].tensorrt_llm.opt_num_tokens",
        "multiple_profiles",
    ),
    (
        "paged context fmha",
        {"use_paged_context_fmha": False, "paged_kv_cache": False},
        {"use_paged_context_fmha": True, "paged_kv_cache": False},
        "models[0].tensorrt_llm.use_paged_context_fmha",
        "paged_kv_cache",
    ),
    (
        "kv reuse",
        {"serving": {"enable_kv_cache_reuse": True}},
        {"use_paged_context_fmha": False, "serving": {"enable_kv_cache_reuse": True}},
        "models[0].tensorrt_llm.serving.enable_kv_cache_reuse",
        "use_paged_context_fmha",
    ),
    (
        "chunked context",
        {"serving": {"enable_chunked_context": True}},
        {"use_paged_context_fmha": False, "serving": {"enable_chunked_context": True}},
        "models[0].tensorrt_llm.serving.enable_chunked_context",
        "use_paged_context_fmha",
    ),
    (
        "quantization dtype",
        {"quantization": "int4_awq", "dtype": "bfloat16"},
        {"quantization": "int4_awq", "dtype": "float32"},
        "models[0].tensorrt_llm.quantization",
        "float32",
    ),
    (
        "smoothquant dtype",
        {"quantization": "int8_sq", "dtype": "float16"},
        {"quantization": "int8_sq", "dtype": "float32"},
        "models[0].tensorrt_llm.quantization",
        "float32",
    ),
    (
        "kv cache dtype",
        {"kv_cache_dtype": "int8", "dtype": "float16"},
        {"kv_cache_dtype": "int8", "dtype": "float32"},
        "models[0].tensorrt_llm.kv_cache_dtype",
        "float32",
    ),
    (
        "draft length",
        {"speculative": {"mode": "medusa", "max_draft_len": 4}},
        {"speculative": {"mode": "medusa"}},
        "models[0].tensorrt_llm.speculative.max_draft_len",
        "max_draft_len > 0",
    ),
    (
        "speculative beam",
        {"speculative": {"mode": "eagle", "max_draft_len": 4}, "max_beam_width": 1},
        {"speculative": {"mode": "eagle", "max_draft_len": 4}, "max_beam_width": 2},
        "models[0].tensorrt_llm.max_beam_width",
        "beam width 1",
    ),
    (
        "world size",
        {"tp_size": 2, "serving": {"gpu_device_ids": [0, 1]}},
        {"tp_size": 2, "pp_size": 2, "serving": {"gpu_device_ids": [0, 1]}},
        "models[0].tensorrt_llm.serving.gpu_device_ids",
        "world size 4",
    ),
    (
        "beam width",
        {"max_beam_width": 4, "serving": {"max_beam_width": 2}},
        {"max_beam_width": 2, "serving": {"max_beam_width": 4}},
        "models[0].tensorrt_llm.serving.max_beam_width",
        "engine's max_beam_width 2",
    ),
    (
        "triton batch",
        {"max_batch_size": 32, "serving": {"triton_max_batch_size": 32}},
        {"max_batch_size": 32, "serving": {"triton_max_batch_size": 64}},
        "models[0].tensorrt_llm.serving.triton_max_batch_size",
        "exceeds the engine's max_batch_size 32",
    ),
    (
        "checkpoint",
        {"checkpoint": "ckpt"},
        {"checkpoint": "missing"},
        "models[0].tensorrt_llm.checkpoint",
        "no config.json",
    ),
]


@pytest.mark.parametrize(
    ("good", "bad", "path", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(
    tmp_path: Path, good: dict[str, Any], bad: dict[str, Any], path: str, words: str
) -> None:
    assert issues_of(tmp_path / "good", good) == []
    assert words in only(issues_of(tmp_path / "bad", bad), path).message


def test_streaming_with_decoupled_off_names_both(tmp_path: Path) -> None:
    streaming = {"serving": {"streaming": True}}
    assert issues_of(tmp_path / "ok", streaming) == []
    assert issues_of(tmp_path / "on", streaming, decoupled=True) == []
    issue = only(
        issues_of(tmp_path / "off", streaming, decoupled=False),
        "models[0].tensorrt_llm.serving.streaming",
    )
    assert "decoupled" in issue.message
    assert "streaming" in issue.fix


def test_one_version_only(tmp_path: Path) -> None:
    issue = only(issues_of(tmp_path, {}, versions=[1, 2]), "models[0].versions")
    assert "one version" in issue.message


def test_engine_tensors_are_not_user_written(tmp_path: Path) -> None:
    inputs = [{"name": "x", "data_type": "int32", "dims": [1]}]
    only(issues_of(tmp_path, {}, inputs=inputs), "models[0].inputs")


def test_tokenizer_is_required(tmp_path: Path) -> None:
    shutil.copytree(CHECKPOINT, tmp_path / "bare")
    (tmp_path / "bare" / "tokenizer.json").unlink()
    issue = only(issues_of(tmp_path, {"checkpoint": "bare"}), "models[0].tensorrt_llm.checkpoint")
    assert "no tokenizer" in issue.message


def test_missing_section(tmp_path: Path) -> None:
    path = tmp_path / "tritonops.yaml"
    path.write_text("models: [{name: llm, kind: tensorrt_llm}]\n")
    project = load_project(path)
    with pytest.raises(SpecError, match="no tensorrt_llm: section"):
        trtllm_model_plans(project, project.models[0])


def test_every_issue_is_reported_at_once(tmp_path: Path) -> None:
    bad = {"max_input_len": 4096, "max_seq_len": 2048, "max_num_tokens": 1024, "dtype": "float32"}
    bad["quantization"] = "fp8"
    paths = {i.path.rsplit(".", 1)[-1] for i in issues_of(tmp_path, bad)}
    assert paths == {"max_input_len", "max_num_tokens", "quantization"}


def test_unknown_option_is_a_located_load_error(tmp_path: Path) -> None:
    path = tmp_path / "tritonops.yaml"
    path.write_text("models:\n  - {name: llm, kind: tensorrt_llm, tensorrt_llm: {qformat: fp8}}\n")
    with pytest.raises(SpecError) as raised:
        load_project(path)
    assert any("write quantization" in i.fix for i in raised.value.issues)
