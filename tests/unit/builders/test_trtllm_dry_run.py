"""build --dry-run lays the stand-in engine; configs stay the production ones; real engines stay."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tritonops.builders import lineage as lineage_store
from tritonops.builders.run import build_project
from tritonops.builders.tensorrt_llm import standin, trtllm_model_plans
from tritonops.llm import engine_file
from tritonops.repository.render import render_config
from tritonops.spec import load_project

EXAMPLE = Path(__file__).parents[3] / "examples/llm"
MODELS = Path(__file__).parents[3] / "src/tritonops/builders/tensorrt_llm/models"
TOKENIZER = EXAMPLE / "checkpoints/TinyLlama-1.1B-Chat-v1.0"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "llm"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("model_repository", ".tritonops"))
    return root / "tritonops.yaml"


def test_the_dry_run_lays_the_engine_where_the_real_one_goes(project: Path) -> None:
    result = build_project(project, dry_run=True)
    assert result.repository_state == "written"
    folder = project.parent / "model_repository" / "tinyllama" / "1"
    assert sorted(p.name for p in folder.iterdir()) == [engine_file.FILE_NAME]
    engine = engine_file.read(folder)
    # the decoder speaks the example tokenizer's 49 ids; the limits are the build's
    assert engine.decoder["vocab_size"] == 49
    assert engine.decoder["max_position_embeddings"] == 2048
    assert engine.limits == {
        "max_batch_size": 16,
        "max_input_len": 1536,
        "max_seq_len": 2048,
        "max_beam_width": 1,
    }
    record = lineage_store.read(project.parent, "tinyllama", 1)
    assert record is not None
    assert standin.is_standin(record.tools)
    # a second dry run finds it in place
    assert build_project(project, dry_run=True).repository_state == "up-to-date"


def test_the_rendered_configs_are_the_production_ones(project: Path) -> None:
    build_project(project, dry_run=True)
    loaded = load_project(project)
    repository = project.parent / "model_repository"
    for plan in trtllm_model_plans(loaded, loaded.models[0]):
        rendered = (repository / plan.name / "config.pbtxt").read_text()
        assert rendered == render_config(plan), plan.name
    text = (repository / "tinyllama" / "config.pbtxt").read_text()
    assert '"gpt_model_path" value: { string_value: "/models/tinyllama/1" }' in text


def test_the_stand_in_key_differs_from_the_real_builds(project: Path) -> None:
    build_project(project, dry_run=True)
    record = lineage_store.read(project.parent, "tinyllama", 1)
    assert record is not None
    from tritonops.builders.base import BuildContext
    from tritonops.builders.hashing import key_of
    from tritonops.builders.store import artifact_dir
    from tritonops.builders.tensorrt_llm import TensorRTLLMBuilder

    loaded = load_project(project)
    spec = loaded.models[0]
    ctx = BuildContext(loaded, spec, 1, artifact_dir(loaded.root, spec.name))
    assert record.key != key_of(TensorRTLLMBuilder().fingerprint(ctx))


def test_a_real_engine_in_the_store_is_never_replaced(project: Path) -> None:
    build_project(project, dry_run=True)
    record = lineage_store.read(project.parent, "tinyllama", 1)
    assert record is not None
    real = record.__class__(**{**record.__dict__, "tools": {"tensorrt_llm": "0.20.0"}})
    lineage_store.write(project.parent, real)
    said: list[str] = []
    build_project(project, dry_run=True, on_event=lambda _m, what: said.append(what))
    assert any("a real engine is in the build store" in line for line in said)
    kept = lineage_store.read(project.parent, "tinyllama", 1)
    assert kept is not None
    assert kept.tools == {"tensorrt_llm": "0.20.0"}


def test_the_seed_follows_the_checkpoint(project: Path) -> None:
    build_project(project, dry_run=True)
    first = engine_file.read(project.parent / "model_repository" / "tinyllama" / "1").seed
    config = project.parent / "checkpoints/TinyLlama-1.1B-Chat-v1.0/config.json"
    data = json.loads(config.read_text())
    data["rope_theta"] = 20000.0
    config.write_text(json.dumps(data))
    build_project(project, dry_run=True)
    assert engine_file.read(project.parent / "model_repository" / "tinyllama" / "1").seed != first


def _local_tokenizer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("local_tokenizer", MODELS / "local_tokenizer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_word_level_fallback_reads_the_example_tokenizer() -> None:
    tokenizer = _local_tokenizer().WordLevelTokenizer(str(TOKENIZER))
    ids = tokenizer.encode("The cat is on the mat")
    assert ids[0] == 1  # <s> from the TemplateProcessing post-processor
    assert tokenizer.encode("The", add_special_tokens=False) == [3]
    assert tokenizer.decode(ids, skip_special_tokens=True).startswith("the ")
    assert tokenizer.decode(ids).startswith("<s> the")
    assert (tokenizer.eos_token_id, tokenizer.pad_token_id, len(tokenizer)) == (2, 2, 49)


def test_the_fallback_refuses_other_tokenizers_naming_transformers(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
    module = _local_tokenizer()
    with pytest.raises(module.LocalTokenizerError, match="pip install transformers"):
        module.WordLevelTokenizer(str(tmp_path))


def test_validate_load_plans_the_llm_set_and_says_what_it_cannot_check(project: Path) -> None:
    from tritonops.deploy.check import repository_models
    from tritonops.deploy.loadcheck import plan_load

    build_project(project, dry_run=True)
    repository = project.parent / "model_repository"
    # the BLS model calls the others, so it is smoked after them; ensembles come last
    assert repository_models(repository) == [
        "tinyllama",
        "tinyllama_postprocessing",
        "tinyllama_preprocessing",
        "tinyllama_bls",
        "tinyllama_ensemble",
    ]
    (note,) = plan_load(repository, "tinyllama", gpus=0).not_checked
    assert "the TensorRT-LLM engine and its GPU kernels are not run here" in note
    assert plan_load(repository, "tinyllama_preprocessing", gpus=0).not_checked == ()


def test_doctor_tells_a_stand_in_engine_from_a_real_one(project: Path) -> None:
    from tritonops.doctor import diagnose

    build_project(project, dry_run=True)
    checks = [c for c in diagnose(project.parent, {"gpu": "no"}) if c.name == "tinyllama v1"]
    assert [c.status for c in checks if "stand-in" in c.detail] == ["warn"]
    assert not any("needs an NVIDIA GPU" in c.detail for c in checks)
