"""validate --load's merge of static findings and load verdicts, and its CPU-host load plans."""

from __future__ import annotations

import json
from pathlib import Path

from tritonops.deploy.loadcheck import LoadPlan, plan_load, side_by_side
from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate.report import LoadResult


def _error(model: str, code: str = "TRITON-P001") -> Diagnostic:
    return Diagnostic(f"{model}/config.pbtxt", 3, code, "error", model, "static says no")


def test_a_static_error_on_a_model_that_loaded_and_answered_becomes_a_warning() -> None:
    merged = side_by_side([_error("a")], [LoadResult("a", "1", "READY")], {"a": LoadPlan("a")})
    assert [d.severity for d in merged] == ["warning"]
    assert "tritonserver loaded this model" in merged[0].message
    assert merged[0].code == "TRITON-P001"  # the finding is still there, under its own code


def test_a_failed_load_is_an_error_and_keeps_the_static_errors_beside_it() -> None:
    results = [LoadResult("a", "", "FAILED", detail="unable to load model 'a'")]
    merged = side_by_side([_error("a")], results, {"a": LoadPlan("a")})
    assert sorted((d.code, d.severity) for d in merged) == [
        ("TRITON-P001", "error"),
        ("TRITON-X001", "error"),
    ]


def test_a_model_that_loads_but_answers_wrongly_stays_an_error() -> None:
    results = [LoadResult("a", "1", "ERROR", detail="output 'y' missing")]
    merged = side_by_side([_error("a")], results, {"a": LoadPlan("a")})
    assert {d.severity for d in merged} == {"error"}
    assert {d.code for d in merged} == {"TRITON-P001", "TRITON-X002"}


def test_instance_findings_stay_errors_when_the_server_saw_the_model_as_kind_cpu() -> None:
    plan = LoadPlan("a", override="{}", not_checked=("moved to KIND_CPU",))
    merged = side_by_side(
        [_error("a", "TRITON-I002")], [LoadResult("a", "1", "READY")], {"a": plan}
    )
    assert ("TRITON-I002", "error") in {(d.code, d.severity) for d in merged}
    assert ("TRITON-X003", "warning") in {(d.code, d.severity) for d in merged}


GPU_CONFIG = """name: "m"
backend: "onnxruntime"
instance_group [ { kind: KIND_GPU gpus: [ 0, 1 ] }, { kind: KIND_CPU count: 2 } ]
optimization { cuda { graphs: true } }
parameters { key: "trt_fp16_enable" value: { string_value: "1" } }
"""


def test_a_cpu_host_loads_kind_gpu_groups_as_kind_cpu_and_says_what_it_skipped(
    tmp_path: Path,
) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.pbtxt").write_text(GPU_CONFIG)
    plan = plan_load(tmp_path, "m", gpus=0)
    assert plan.override is not None
    groups = json.loads(plan.override)["instance_group"]
    assert [g["kind"] for g in groups] == ["KIND_CPU", "KIND_CPU"]
    assert all("gpus" not in g for g in groups)
    text = " | ".join(plan.not_checked)
    assert "loaded as KIND_CPU" in text
    assert "CUDA graphs" in text
    assert "trt_fp16_enable" in text


def test_a_gpu_host_loads_the_config_as_written(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.pbtxt").write_text(GPU_CONFIG)
    plan = plan_load(tmp_path, "m", gpus=2)
    assert plan.override is None
    assert not any("KIND_CPU" in note for note in plan.not_checked)


def test_an_unreadable_config_is_left_to_the_server(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.pbtxt").write_text("max_batch_sizee: 2\n")
    assert plan_load(tmp_path, "m", gpus=0) == LoadPlan("m")


STATE_CONFIG = """name: "m"
backend: "onnxruntime"
max_batch_size: 4
sequence_batching {
  state [ { input_name: "IN" output_name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] GROWABLE } ]
}
"""


def test_implicit_state_is_run_here_but_growable_state_memory_is_not(tmp_path: Path) -> None:
    """The stand-in keeps implicit state itself (server/backends/onnxruntime/ort_state.py); Triton's
    core allocates growable state memory only for KIND_GPU instances (core src/sequence_state.cc
    SequenceStates::Initialize), which a CPU host cannot run."""
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.pbtxt").write_text(STATE_CONFIG.replace("GROWABLE", ""))
    assert plan_load(tmp_path, "m", gpus=0).not_checked == ()
    growable = "use_same_buffer_for_input_output: true use_growable_memory: true"
    (tmp_path / "m" / "config.pbtxt").write_text(STATE_CONFIG.replace("GROWABLE", growable))
    (note,) = plan_load(tmp_path, "m", gpus=0).not_checked
    assert "use_growable_memory" in note
    assert "IN" in note
