"""``kind: vllm``: model.json's engine arguments typed and checked, the contract filled in.

Each rule has a passing and a failing case, and every failure is located at its line with a fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from spec_helpers import LoadIssues, WriteProject, at

from tritonops.errors import SpecError, SpecIssue
from tritonops.model_config import DataType, InstanceKind
from tritonops.spec import Project, load_project, plan_models


def _project(engine: dict[str, Any], **model: Any) -> str:
    entry = {"name": "chat", "kind": "vllm", **model, "vllm": {"model": "org/tiny", **engine}}
    return yaml.safe_dump({"models": [entry]}, sort_keys=False)


def _issues(write_project: WriteProject, engine: dict[str, Any], **model: Any) -> list[SpecIssue]:
    try:
        load_project(write_project(_project(engine, **model)))
    except SpecError as exc:
        return exc.issues
    return []


def test_engine_arguments_become_model_json_keys_as_written(
    project_of: Callable[[str], Project],
) -> None:
    project = project_of(
        _project({"tensor_parallel_size": 1, "gpu_memory_utilization": 0.5, "max_model_len": 512})
    )
    args = project.models[0].vllm
    assert args is not None
    # only what the user set is written, so vLLM's own defaults apply to the rest
    assert json.loads(args.engine_json()) == {
        "model": "org/tiny",
        "max_model_len": 512,
        "tensor_parallel_size": 1,
        "gpu_memory_utilization": 0.5,
    }


def test_the_backend_contract_is_rendered_when_left_open(
    project_of: Callable[[str], Project],
) -> None:
    (plan,) = plan_models(project_of(_project({})))
    config = plan.config
    assert config.backend == "vllm"
    assert config.max_batch_size == 0
    assert config.model_transaction_policy is not None
    assert config.model_transaction_policy.decoupled
    assert [g.kind for g in config.instance_group] == [InstanceKind.KIND_MODEL]
    inputs = {t.name: t for t in config.input}
    assert inputs["text_input"].data_type is DataType.TYPE_STRING
    assert not inputs["text_input"].optional
    for name in ("stream", "sampling_parameters", "exclude_input_in_output"):
        assert inputs[name].optional
    assert config.output[0].name == "text_output"


def test_unknown_engine_key_names_the_closest(issues_of: LoadIssues) -> None:
    issue = at(
        issues_of(_project({"gpu_memory_utilisation": 0.5})),
        "models[0].vllm.gpu_memory_utilisation",
    )
    assert issue.line == 6
    assert issue.fix == "did you mean 'gpu_memory_utilization'?"


def test_a_trtllm_name_points_at_the_vllm_one(issues_of: LoadIssues) -> None:
    issue = at(issues_of(_project({"tp_size": 2})), "models[0].vllm.tp_size")
    assert "tensor_parallel_size" in issue.fix


def test_model_is_required(issues_of: LoadIssues) -> None:
    text = yaml.safe_dump({"models": [{"name": "c", "kind": "vllm", "vllm": {"dtype": "auto"}}]})
    assert at(issues_of(text), "models[0].vllm.model").message == "required key 'model' is missing"


def test_a_vllm_model_needs_its_section(issues_of: LoadIssues) -> None:
    text = yaml.safe_dump({"models": [{"name": "c", "kind": "vllm"}]})
    assert "add vllm:" in at(issues_of(text), "models[0]").fix


@pytest.mark.parametrize(
    ("key", "good", "bad", "message"),
    [
        ("gpu_memory_utilization", 1.0, 1.5, "must be <= 1 (got 1.5)"),
        ("gpu_memory_utilization", 0.01, 0, "must be > 0 (got 0)"),
        ("tensor_parallel_size", 1, 0, "must be >= 1 (got 0)"),
        ("pipeline_parallel_size", 2, 0, "must be >= 1 (got 0)"),
        ("max_model_len", 1, 0, "must be > 0 (got 0)"),
        ("max_model_len", 2048, -1, "must be > 0 (got -1)"),
        ("max_num_seqs", 1, 0, "must be >= 1 (got 0)"),
        ("swap_space", 0, -4, "must be >= 0 (got -4)"),
        ("quantization", "awq", "awqq", "'awqq' is not one of: aqlm, awq"),
        ("dtype", "bfloat16", "bf16", "'bf16' is not one of"),
        ("kv_cache_dtype", "fp8_e5m2", "int8", "'int8' is not one of"),
        ("max_model_len", 8, 1.5, "expected a whole number"),
    ],
)
def test_field_limits(
    write_project: WriteProject, key: str, good: object, bad: object, message: str
) -> None:
    assert _issues(write_project, {key: good}) == []
    issue = at(_issues(write_project, {key: bad}), f"models[0].vllm.{key}")
    assert issue.message.startswith(message), issue.message
    assert issue.line == 6
    assert issue.fix


def test_quantization_suggests_the_near_name(issues_of: LoadIssues) -> None:
    assert at(issues_of(_project({"quantization": "gptq_marlim"})), "models[0].vllm.quantization")
    issue = at(issues_of(_project({"quantization": "awqq"})), "models[0].vllm.quantization")
    assert issue.fix == "did you mean 'awq'?"


@pytest.mark.parametrize(
    ("good", "bad", "path", "words"),
    [
        (
            {"max_num_seqs": 64, "max_num_batched_tokens": 64},
            {"max_num_seqs": 64, "max_num_batched_tokens": 32},
            "models[0].vllm.max_num_batched_tokens",
            "below max_num_seqs 64",
        ),
        (
            {"max_model_len": 4096, "max_num_batched_tokens": 2048, "enable_chunked_prefill": True},
            {
                "max_model_len": 4096,
                "max_num_batched_tokens": 2048,
                "enable_chunked_prefill": False,
            },
            "models[0].vllm.max_num_batched_tokens",
            "below max_model_len 4096 with chunked prefill off",
        ),
        (
            {"speculative_config": {"method": "ngram", "num_speculative_tokens": 4}},
            {"speculative_config": {"method": "eagle", "num_speculative_tokens": 4}},
            "models[0].vllm.speculative_config",
            "needs the draft model",
        ),
        (
            {"speculative_config": {"model": "org/draft", "num_speculative_tokens": 4}},
            {"speculative_config": {"method": "ngram", "model": "x", "num_speculative_tokens": 4}},
            "models[0].vllm.speculative_config.model",
            "takes no model",
        ),
        (
            {
                "speculative_config": {
                    "method": "ngram",
                    "num_speculative_tokens": 4,
                    "prompt_lookup_min": 2,
                    "prompt_lookup_max": 4,
                }
            },
            {
                "speculative_config": {
                    "method": "ngram",
                    "num_speculative_tokens": 4,
                    "prompt_lookup_min": 5,
                    "prompt_lookup_max": 4,
                }
            },
            "models[0].vllm.speculative_config.prompt_lookup_min",
            "above prompt_lookup_max",
        ),
    ],
)
def test_impossible_combinations(
    write_project: WriteProject,
    good: dict[str, Any],
    bad: dict[str, Any],
    path: str,
    words: str,
) -> None:
    assert _issues(write_project, good) == []
    issues = _issues(write_project, bad)
    assert [i.path for i in issues] == [path], [str(i) for i in issues]
    assert words in issues[0].message
    assert issues[0].line is not None
    assert issues[0].fix


def test_speculative_tokens_must_be_positive(write_project: WriteProject) -> None:
    bad = {"speculative_config": {"model": "d", "num_speculative_tokens": 0}}
    issue = at(
        _issues(write_project, bad), "models[0].vllm.speculative_config.num_speculative_tokens"
    )
    assert issue.message == "must be > 0 (got 0)"


@pytest.mark.parametrize(
    ("model", "path", "words"),
    [
        ({"decoupled": False}, "models[0].decoupled", "not decoupled"),
        (
            {"model_transaction_policy": {"decoupled": False}},
            "models[0].model_transaction_policy",
            "not decoupled",
        ),
        ({"max_batch_size": 8}, "models[0].max_batch_size", "batches requests itself"),
        ({"source": "model.py"}, "models[0].source", "no source"),
        ({"versions": [1, 2]}, "models[0].versions", "same model.json"),
    ],
)
def test_model_fields_the_backend_fixes(
    write_project: WriteProject, model: dict[str, Any], path: str, words: str
) -> None:
    issues = _issues(write_project, {}, **model)
    assert [i.path for i in issues] == [path], [str(i) for i in issues]
    assert words in issues[0].message


def test_a_multi_gpu_engine_needs_kind_model(write_project: WriteProject) -> None:
    gpu = {"instance_group": [{"kind": "KIND_GPU", "count": 1}]}
    assert _issues(write_project, {"tensor_parallel_size": 1}, **gpu) == []
    issues = _issues(write_project, {"tensor_parallel_size": 2}, **gpu)
    assert [i.path for i in issues] == ["models[0].instance_group[0].kind"]
    assert "KIND_MODEL" in issues[0].fix
    model = {"instance_group": [{"kind": "KIND_MODEL", "count": 1}]}
    assert _issues(write_project, {"tensor_parallel_size": 2}, **model) == []


def test_engine_arguments_on_another_kind_are_refused(issues_of: LoadIssues) -> None:
    text = yaml.safe_dump(
        {"models": [{"name": "p", "kind": "python", "source": "model.py", "vllm": {"model": "m"}}]}
    )
    assert at(issues_of(text), "models[0].vllm").fix == "remove them"
