"""The in-flight batching model set: rendered, parsed back, wired, validated; the example plans."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tritonops.builders.base import BuildContext
from tritonops.builders.tensorrt_llm import TensorRTLLMBuilder, Toolchain, trtllm_model_plans
from tritonops.builders.tensorrt_llm import engine as engine_mod
from tritonops.errors import BuildError
from tritonops.model_config import DataType, ModelConfig
from tritonops.repository.layout import write_repository
from tritonops.repository.render import render_config
from tritonops.repository.validate import validate_repository
from tritonops.spec import ModelPlan, Project, load_project

EXAMPLE = Path(__file__).parents[3] / "examples/llm"
ENGINE_KEYS = {
    "gpt_model_type",
    "gpt_model_path",
    "max_beam_width",
    "batch_scheduler_policy",
    "kv_cache_free_gpu_mem_fraction",
    "enable_kv_cache_reuse",
    "enable_chunked_context",
    "exclude_input_in_output",
    "FORCE_CPU_ONLY_INPUT_TENSORS",
    "executor_worker_path",
    "tokenizer_dir",
    "guided_decoding_backend",
    "xgrammar_tokenizer_info_path",
}


def project_with(tmp_path: Path, **changes: Any) -> Project:
    """A copy of examples/llm with ``changes`` merged into its tensorrt_llm section."""
    root = tmp_path / "llm"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("model_repository"))
    data = yaml.safe_load((root / "tritonops.yaml").read_text())
    section = data["models"][0]["tensorrt_llm"]
    for key, value in changes.items():
        if isinstance(value, dict):
            section.setdefault(key, {}).update(value)
        else:
            section[key] = value
    (root / "tritonops.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_project(root / "tritonops.yaml")


def plans_of(project: Project) -> dict[str, ModelPlan]:
    return {p.name: p for p in trtllm_model_plans(project, project.models[0])}


@pytest.fixture
def example() -> Project:
    return load_project(EXAMPLE / "tritonops.yaml")


def test_example_plans_five_models(example: Project) -> None:
    plans = plans_of(example)
    assert list(plans) == [
        "tinyllama_preprocessing",
        "tinyllama",
        "tinyllama_postprocessing",
        "tinyllama_ensemble",
        "tinyllama_bls",
    ]
    assert [p.kind for p in plans.values()] == [
        "python",
        "tensorrt_llm",
        "python",
        "ensemble",
        "python",
    ]


def test_bls_is_optional(tmp_path: Path) -> None:
    assert "tinyllama_bls" not in plans_of(project_with(tmp_path, serving={"bls": False}))


def test_every_config_renders_without_placeholders(example: Project) -> None:
    for plan in plans_of(example).values():
        text = render_config(plan)  # parses it back with Triton's schema and compares
        assert "${" not in text, plan.name
        assert "TYPE_INVALID" not in text


def test_engine_parameters_are_present_and_typed(example: Project) -> None:
    config = plans_of(example)["tinyllama"].config
    params = config.parameters
    assert set(params) >= ENGINE_KEYS
    assert params["gpt_model_type"] == "inflight_fused_batching"
    assert params["gpt_model_path"] == "/models/tinyllama/1"
    assert int(params["max_beam_width"]) == 1
    assert float(params["kv_cache_free_gpu_mem_fraction"]) == 0.85
    for flag in ("enable_kv_cache_reuse", "enable_chunked_context", "exclude_input_in_output"):
        assert params[flag] == "true"
    assert params["gpu_device_ids"] == "0"
    assert config.backend == "tensorrtllm"
    assert config.max_batch_size == 16
    assert config.dynamic_batching is not None
    assert config.dynamic_batching.max_queue_delay_microseconds == 100
    assert config.dynamic_batching.preferred_batch_size == [16]


def test_engine_dir_override(tmp_path: Path, example: Project) -> None:
    spec = example.models[0]
    plans = trtllm_model_plans(example, spec, "/engines/tiny")
    assert plans[1].config.parameters["gpt_model_path"] == "/engines/tiny"
    project = project_with(tmp_path, serving={"engine_dir": "/srv/e"})
    assert plans_of(project)["tinyllama"].config.parameters["gpt_model_path"] == "/srv/e"


def test_pre_and_post_processing_get_the_tokenizer(example: Project) -> None:
    plans = plans_of(example)
    for name, key in (
        ("tinyllama_preprocessing", "add_special_tokens"),
        ("tinyllama_postprocessing", "skip_special_tokens"),
    ):
        plan = plans[name]
        assert plan.config.backend == "python"
        assert plan.config.parameters["tokenizer_dir"] == "tokenizer"
        assert plan.config.parameters[key] == "true"
        assert plan.version_files["model.py"].is_file()
        assert plan.version_files["tokenizer/tokenizer.json"].name == "tokenizer.json"
        assert "tokenizer/tokenizer_config.json" in plan.version_files
        assert plan.config.instance_group[0].count == 2


def _step(config: ModelConfig, model: str) -> tuple[dict[str, str], dict[str, str]]:
    assert config.ensemble_scheduling is not None
    [step] = [s for s in config.ensemble_scheduling.step if s.model_name == model]
    return step.input_map, step.output_map


def test_ensemble_wiring(example: Project) -> None:
    plans = plans_of(example)
    ensemble = plans["tinyllama_ensemble"].config
    types = {t.name: t.data_type for t in ensemble.input}
    assert types["text_input"] is DataType.TYPE_STRING
    assert types["max_tokens"] is DataType.TYPE_INT32
    assert types["stream"] is DataType.TYPE_BOOL
    assert types["temperature"] is DataType.TYPE_FP32
    assert types["seed"] is DataType.TYPE_UINT64
    required = {t.name for t in ensemble.input if not t.optional}
    assert required == {"text_input", "max_tokens"}
    pre_in, pre_out = _step(ensemble, "tinyllama_preprocessing")
    assert pre_in["QUERY"] == "text_input"
    assert pre_in["REQUEST_OUTPUT_LEN"] == "max_tokens"
    assert pre_out["INPUT_ID"] == "_INPUT_ID"
    eng_in, eng_out = _step(ensemble, "tinyllama")
    assert eng_in["input_ids"] == "_INPUT_ID"
    assert eng_in["input_lengths"] == "_REQUEST_INPUT_LEN"
    assert eng_in["end_id"] == "_PREPROCESSOR_END_ID"
    assert eng_in["runtime_top_k"] == "top_k"
    assert eng_in["streaming"] == "stream"
    assert eng_in["len_penalty"] == "length_penalty"
    assert eng_out["output_ids"] == "_TOKENS_BATCH"
    post_in, post_out = _step(ensemble, "tinyllama_postprocessing")
    assert post_in == {"TOKENS_BATCH": "_TOKENS_BATCH", "SEQUENCE_LENGTH": "_SEQUENCE_LENGTH"}
    assert post_out == {"OUTPUT": "text_output"}
    # every engine input the ensemble feeds exists on the engine model, with its data type
    engine = {t.name: t for t in plans["tinyllama"].config.input}
    assert set(eng_in) <= set(engine)
    assert engine["runtime_top_k"].data_type is DataType.TYPE_INT32
    assert engine["input_lengths"].reshape is not None
    assert [t.name for t in engine.values() if not t.optional] == [
        "input_ids",
        "input_lengths",
        "request_output_len",
    ]


def test_streaming_makes_engine_ensemble_and_bls_decoupled(tmp_path: Path) -> None:
    on = plans_of(project_with(tmp_path / "on", serving={"streaming": True}))
    off = plans_of(project_with(tmp_path / "off", serving={"streaming": False}))
    for name in ("tinyllama", "tinyllama_ensemble", "tinyllama_bls"):
        policy = on[name].config.model_transaction_policy
        assert policy is not None, name
        assert policy.decoupled, name
        policy = off[name].config.model_transaction_policy
        assert policy is None or not policy.decoupled, name
    assert "decoupled: true" in render_config(on["tinyllama"])


def test_lora_adds_request_tensors(tmp_path: Path) -> None:
    project = project_with(tmp_path, lora={"max_rank": 8})
    plans = plans_of(project)
    engine_inputs = {t.name for t in plans["tinyllama"].config.input}
    assert {"lora_task_id", "lora_weights", "lora_config"} <= engine_inputs
    assert plans["tinyllama"].config.parameters["lora_cache_max_adapter_size"] == "8"


def test_bls_follows_the_ensemble_tables(example: Project) -> None:
    bls = plans_of(example)["tinyllama_bls"].config
    tables = json.loads(bls.parameters["tensor_map"])
    assert tables["preprocessing_inputs"]["text_input"] == "QUERY"
    assert tables["preprocessing_to_engine"]["INPUT_ID"] == "input_ids"
    assert tables["engine_options"]["stream"] == "streaming"
    assert bls.parameters["tensorrt_llm_model_name"] == "tinyllama"


@pytest.mark.parametrize(
    "changes",
    [
        {"serving": {"streaming": True}},
        {"serving": {"streaming": False, "bls": False}},
        {"lora": {"max_rank": 8}, "speculative": {"mode": "medusa", "max_draft_len": 4}},
    ],
    ids=["streaming", "plain", "lora+medusa"],
)
def test_written_repository_validates(tmp_path: Path, changes: dict[str, Any]) -> None:
    project = project_with(tmp_path, **changes)
    plans = trtllm_model_plans(project, project.models[0])
    out = tmp_path / "repo"
    write_repository(plans, out)
    report = validate_repository(out)
    assert report.models == len(plans)
    assert [str(d) for d in report.diagnostics if d.severity == "error"] == []
    assert (out / "tinyllama_preprocessing" / "1" / "tokenizer" / "tokenizer.json").is_file()
    for config in out.glob("*/config.pbtxt"):
        assert "${" not in config.read_text(), config


def test_validator_catches_a_broken_wiring(tmp_path: Path, example: Project) -> None:
    plans = trtllm_model_plans(example, example.models[0])
    ensemble = plans[3]
    assert ensemble.config.ensemble_scheduling is not None
    ensemble.config.ensemble_scheduling.step[1].input_map["input_ids"] = "_INPUT_IDS"
    write_repository(plans, tmp_path / "repo")
    errors = [
        d for d in validate_repository(tmp_path / "repo").diagnostics if d.severity == "error"
    ]
    assert errors


def test_dry_run_plan_of_the_example(tmp_path: Path, example: Project) -> None:
    spec = example.models[0]
    ctx = BuildContext(project=example, model=spec, version=1, work_dir=tmp_path / "work")
    tools = Toolchain(python="python3", examples=Path("/ex"), trtllm_build=("trtllm-build",))
    lines = TensorRTLLMBuilder(toolchain=tools).plan(ctx)
    assert len(lines) == 2
    assert lines[0].startswith("python3 /ex/models/core/llama/convert_checkpoint.py --model_dir ")
    assert "TinyLlama-1.1B-Chat-v1.0" in lines[0]
    assert lines[1].startswith("trtllm-build --checkpoint_dir ")
    assert f"--output_dir {tmp_path / 'work'} " in lines[1]
    fingerprint = TensorRTLLMBuilder(toolchain=tools).fingerprint(ctx)
    assert "tokenizer.json" in fingerprint["checkpoint"]


def test_build_without_tensorrt_llm_names_the_package(
    tmp_path: Path, example: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "package_version", lambda: None)
    ctx = BuildContext(
        project=example, model=example.models[0], version=1, work_dir=tmp_path / "work"
    )
    with pytest.raises(BuildError, match="`tensorrt_llm` is not installed") as raised:
        TensorRTLLMBuilder(gpus=0).build(ctx)
    assert "--dry-run" in str(raised.value)
    assert not (tmp_path / "work").exists()


def test_build_runs_the_steps_and_checks_the_engine(
    tmp_path: Path, example: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stand-in tools that write what the real ones write, run through the real runner
    script = tmp_path / "ex" / "models" / "core" / "llama" / "convert_checkpoint.py"
    script.parent.mkdir(parents=True)
    script.write_text(
        "import sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--output_dir') + 1])\n"
        "out.mkdir(parents=True)\n(out / 'config.json').write_text('{}')\n"
    )
    fake_build = tmp_path / "fake_build.py"
    fake_build.write_text(
        "import sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--output_dir') + 1])\n"
        "(out / 'config.json').write_text('{}')\n(out / 'rank0.engine').write_bytes(b'x')\n"
    )
    tools = Toolchain(
        python=sys.executable,
        examples=tmp_path / "ex",
        trtllm_build=(sys.executable, str(fake_build)),
    )
    monkeypatch.setattr(engine_mod, "package_version", lambda: "1.2.1")
    ctx = BuildContext(
        project=example, model=example.models[0], version=1, work_dir=tmp_path / "work"
    )
    artifact = TensorRTLLMBuilder(toolchain=tools, gpus=1).build(ctx)
    assert artifact.files == ("config.json", "rank0.engine")
    assert not (tmp_path / "work" / "_checkpoint").exists()
    assert artifact.tools == {"tensorrt_llm": "1.2.1"}
    assert artifact.parameters["gpt_model_path"] == "/models/tinyllama/1"
    assert artifact.signature is not None
    assert artifact.signature.max_batch_size == 16
    assert any("decoupled" in note for note in artifact.notes)


def test_experiments_may_name_the_models_a_tensorrt_llm_entry_adds(example: Project) -> None:
    from tritonops.builders.tensorrt_llm.repository import model_names
    from tritonops.spec.crossrefs import generated_names

    # the example's experiment names tinyllama_ensemble, which only the build lays out
    assert example.experiments[0].variants[0].model == "tinyllama_ensemble"
    spec = example.models[0]
    names = model_names(spec)
    expected = [names.preprocessing, names.postprocessing, names.ensemble, names.bls]
    assert generated_names(spec) == expected
