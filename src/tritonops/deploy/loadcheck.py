"""``validate --load``: the static findings and a real server's verdict, side by side.

The server is the judge of what it checks. A model that loads and answers its smoke inference is
not failed by a static rule: its static errors are kept in the report as warnings that say the
server disagreed. A model that fails to load, or answers wrongly, is always an error, with the
static findings that may explain it still beside it.

What a CPU host cannot judge is said, never passed silently (TRITON-X003): instance groups
of ``KIND_GPU`` are loaded as ``KIND_CPU`` through a config override, so the rest of the config is
still checked by the server; and the onnxruntime features the local stand-in cannot run (GPU
execution accelerators, CUDA graphs, CUDA-only parameters, growable implicit-state memory) are
listed as not checked here (docs/onnxruntime-standin.md); so is the real TensorRT-LLM engine behind
a ``tensorrtllm`` model, which the stand-in replaces with a tiny CPU decoder (docs/llm.md).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from tritonops.deploy.check import check_repository_loads, repository_models
from tritonops.errors import ConfigParseError
from tritonops.model_config.proto import parse_text
from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate import ValidationReport, validate_repository
from tritonops.repository.validate.release_schema import load_server_note
from tritonops.repository.validate.report import LoadResult, sort_key

_FIX = {
    "FAILED": "that is tritonserver's own reason; fix the config or the model files",
    "ERROR": "the model loads but answers wrongly: make model and config agree on names, "
    "types and shapes",
}

# onnxruntime backend parameters that only configure its CUDA or TensorRT execution providers
# (onnxruntime_backend src/onnxruntime.cc, ModelInstanceState's CUDA and TensorRT options).
_GPU_PARAMETERS = (
    "cudnn_conv_algo_search",
    "gpu_mem_limit",
    "arena_extend_strategy",
    "do_copy_in_default_stream",
    "cudnn_conv_use_max_workspace",
    "use_ep_level_unified_stream",
    "enable_cuda_graph",
)


@dataclasses.dataclass(frozen=True)
class LoadPlan:
    """How one model is loaded here: a JSON config override (or None) and what is not checked."""

    model: str
    override: str | None = None
    not_checked: tuple[str, ...] = ()


def visible_gpus() -> int:
    """NVIDIA GPUs this host shows (``nvidia-smi -L``); 0 where there is no driver."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        listed = subprocess.run(
            [smi, "-L"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return 0
    if listed.returncode != 0:
        return 0
    return sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU "))


def plan_load(repo: Path, model: str, gpus: int) -> LoadPlan:
    """The override and the not-checked list for one model, from its config.pbtxt."""
    path = repo / model / "config.pbtxt"
    try:
        message = parse_text(path.read_text(encoding="utf-8"), f"{model}/config.pbtxt")
    except (OSError, UnicodeDecodeError, ConfigParseError):
        return LoadPlan(model)  # no config, or one the server will refuse in its own words
    notes = _stand_in_limits(message)
    moved = [g for g in message.instance_group if g.kind == message.instance_group[0].KIND_GPU]
    if gpus > 0 or not moved:
        return LoadPlan(model, None, tuple(notes))
    for group in moved:
        group.kind = group.KIND_CPU
        del group.gpus[:]
    if not message.name:
        message.name = model
    names = ", ".join(g.name or f"#{i}" for i, g in enumerate(moved))
    notes.insert(
        0,
        f"this host has no GPU, so instance group(s) {names} of kind KIND_GPU were loaded as "
        "KIND_CPU (a config override); the rest of the config was checked by tritonserver, the "
        "GPU placement was not",
    )
    override = json_format.MessageToJson(message, preserving_proto_field_name=True)
    return LoadPlan(model, override, tuple(notes))


def _stand_in_limits(message: Any) -> list[str]:
    """What the local stand-ins cannot run here (docs/onnxruntime-standin.md, docs/llm.md)."""
    if message.backend == "tensorrtllm":
        return [
            "the TensorRT-LLM engine and its GPU kernels are not run here: the tensorrtllm "
            "stand-in reads and checks this config's parameters and tensors as the real backend "
            "does, but generates with a tiny CPU decoder from the stand-in engine (tritonops "
            "build --dry-run); GPU memory settings (kv_cache_free_gpu_mem_fraction, "
            "gpu_device_ids), beam search and speculative decoding are not exercised"
        ]
    if message.backend != "onnxruntime" and message.platform != "onnxruntime_onnx":
        return []
    notes = []
    accelerators = message.optimization.execution_accelerators
    for accelerator in accelerators.gpu_execution_accelerator:
        notes.append(f"GPU execution accelerator '{accelerator.name}' is not run here")
    for accelerator in accelerators.cpu_execution_accelerator:
        notes.append(f"CPU execution accelerator '{accelerator.name}' is not run here")
    if message.optimization.cuda.graphs:
        notes.append("CUDA graphs (optimization.cuda.graphs) are not run here")
    gpu_keys = sorted(k for k in message.parameters if k in _GPU_PARAMETERS or k.startswith("trt_"))
    if gpu_keys:
        notes.append(f"GPU-only parameters {', '.join(gpu_keys)} are not applied here")
    # Implicit state runs here (the stand-in keeps each sequence's state, ort_state.py), except
    # growable state memory, which Triton's core allocates only for KIND_GPU instances.
    growable = [s.input_name for s in message.sequence_batching.state if s.use_growable_memory]
    if growable:
        notes.append(
            f"growable implicit-state memory (use_growable_memory) of {', '.join(growable)} "
            "needs a KIND_GPU instance and is not run here"
        )
    return notes


def load_diagnostic(result: LoadResult) -> Diagnostic:
    code = "TRITON-X001" if result.state == "FAILED" else "TRITON-X002"
    return Diagnostic(
        file=f"{result.model}/config.pbtxt",
        line=None,
        code=code,
        severity="error",
        model=result.model,
        message=result.detail or f"state {result.state}",
        hint=_FIX.get(result.state, ""),
    )


def _not_checked(plan: LoadPlan) -> list[Diagnostic]:
    return [
        Diagnostic(
            file=f"{plan.model}/config.pbtxt",
            line=None,
            code="TRITON-X003",
            severity="warning",
            model=plan.model,
            message=f"not checked here: {note}",
            hint="check this model on a production-like Triton with a GPU before relying on it",
        )
        for note in plan.not_checked
    ]


def side_by_side(
    static: list[Diagnostic], results: list[LoadResult], plans: dict[str, LoadPlan]
) -> list[Diagnostic]:
    """Merge static findings with the load verdicts; the server rules on what it checked."""
    passed = {r.model for r in results if r.passed}
    merged = []
    for d in static:
        if d.severity == "error" and d.model in passed and not _unjudged(d, plans.get(d.model)):
            d = dataclasses.replace(
                d,
                severity="warning",
                message=f"{d.message} (static rule; tritonserver loaded this model and it "
                "answered its smoke inference, so --load reports it as a warning)",
            )
        merged.append(d)
    merged += [load_diagnostic(r) for r in results if not r.passed]
    for plan in plans.values():
        merged += _not_checked(plan)
    return sorted(merged, key=sort_key)


def _unjudged(d: Diagnostic, plan: LoadPlan | None) -> bool:
    """An instance-group finding on a model loaded as KIND_CPU was never seen by the server."""
    return plan is not None and plan.override is not None and d.code.startswith("TRITON-I")


def validate_with_load(
    repo: Path,
    *,
    tritonserver: Path | None = None,
    load_timeout_s: float = 120.0,
    on_result: Callable[[LoadResult], None] | None = None,
    gpus: int | None = None,
    triton_version: str | None = None,
) -> ValidationReport:
    """Static validation plus a real load and smoke inference of every model, side by side.

    ``triton_version`` is the target release of the static checks (validate_repository's); the
    load verdict is the server's own, and the report names that server when it may differ.
    """
    report = validate_repository(repo, triton_version=triton_version)
    found = visible_gpus() if gpus is None else gpus
    plans = {name: plan_load(repo, name, found) for name in repository_models(repo)}
    overrides = {name: p.override for name, p in plans.items() if p.override is not None}
    results = check_repository_loads(
        repo,
        tritonserver=tritonserver,
        load_timeout_s=load_timeout_s,
        on_result=on_result,
        overrides=overrides,
    )
    diagnostics = side_by_side(list(report.diagnostics), results, plans)
    note = load_server_note(triton_version, None if tritonserver is None else str(tritonserver))
    return dataclasses.replace(
        report, diagnostics=diagnostics, load=tuple(results), load_server=note
    )
