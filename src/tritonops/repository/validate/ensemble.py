"""Ensembles: build graph signatures for every model once, run ``tritonops.ensembles``, locate."""

from __future__ import annotations

from typing import Any

from tritonops.ensembles import (
    IssueKind,
    ModelSig,
    check_ensemble,
    check_ensemble_cycles,
    signature_from_proto,
)
from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate.backends import effective_config
from tritonops.repository.validate.model import ModelFolder

CODE_OF: dict[IssueKind, str] = {
    IssueKind.FORBIDDEN_FIELD: "TRITON-E001",
    IssueKind.NO_STEPS: "TRITON-E002",
    IssueKind.STEP_INCOMPLETE: "TRITON-E003",
    IssueKind.UNKNOWN_MODEL: "TRITON-E004",
    IssueKind.UNMAPPED_INPUT: "TRITON-E005",
    IssueKind.UNKNOWN_INPUT: "TRITON-E006",
    IssueKind.UNKNOWN_OUTPUT: "TRITON-E007",
    IssueKind.PRODUCED_TWICE: "TRITON-E008",
    IssueKind.INPUT_UNUSED: "TRITON-E009",
    IssueKind.TENSOR_UNUSED: "TRITON-E010",
    IssueKind.NOT_PRODUCED: "TRITON-E011",
    IssueKind.OUTPUT_UNWRITTEN: "TRITON-E012",
    IssueKind.DATA_CYCLE: "TRITON-E013",
    IssueKind.ENSEMBLE_CYCLE: "TRITON-E014",
    IssueKind.DTYPE_MISMATCH: "TRITON-E015",
    IssueKind.SHAPE_MISMATCH: "TRITON-E016",
    IssueKind.SHAPE_LOOSE: "TRITON-E017",
    IssueKind.BATCH_SIZE: "TRITON-E018",
    IssueKind.MISSING_VERSION: "TRITON-E019",
}


def signature(folder: ModelFolder) -> ModelSig | None:
    """The graph's view of one model; None when its config exists but could not be parsed."""
    served = frozenset(folder.selected)
    if folder.config is None:
        if folder.config_present:
            return None
        return ModelSig(folder.name, io_known=False, versions=served)  # auto-complete
    config, io_known = effective_config(folder)  # what auto-complete adds counts
    sig = signature_from_proto(config, served, io_known=io_known)
    if sig.name != folder.name:  # Triton knows a model by its folder name
        from dataclasses import replace

        sig = replace(sig, name=folder.name)
    return sig


def check_ensembles(folders: list[ModelFolder]) -> None:
    """Check every ensemble against the repository, indexed by name once (no O(n²) lookups)."""
    by_name = {f.name: f for f in folders}
    models = {f.name: signature(f) for f in folders}
    issues = check_ensemble_cycles(models)
    for sig in models.values():
        if sig is not None and sig.is_ensemble:
            issues += check_ensemble(sig, models)
    for issue in issues:
        by_name[issue.ensemble].report(
            CODE_OF[issue.kind],
            issue.message,
            issue.hint,
            path=issue.path,
            severity=issue.severity,
        )


def check_decoupled_merge(folders: list[ModelFolder]) -> None:
    """A step may not combine tensors that come from different decoupled models.

    core src/ensemble_scheduler/ensemble_utils.cc (ValidateEnsembleConfig) labels every tensor by
    the decoupled step it descends from: ensemble inputs carry label 0, a decoupled step's outputs
    a new label, any other step's outputs the label of its inputs. A step whose inputs carry
    different labels, or ensemble outputs that do, fail the load with "step of model '...'
    receives inputs originated from different decoupled models" (qa/L0_model_config/
    autofill_noplatform/ensemble/invalid_decoupled_branching and _2).
    """
    decoupled = {
        f.name
        for f in folders
        if f.config is not None and f.config.model_transaction_policy.decoupled
    }
    if not decoupled:
        return
    for folder in folders:
        config = folder.config
        if config is None or not folder.is_ensemble:
            continue
        steps = list(config.ensemble_scheduling.step)
        if any(step.model_name in decoupled for step in steps):
            _merge_labels(folder, steps, decoupled)


def _merge_labels(folder: ModelFolder, steps: list[Any], decoupled: set[str]) -> None:
    config = folder.config
    assert config is not None
    labels = {t.name: 0 for t in config.input}
    fresh = 0
    pending = list(enumerate(steps))
    progress = True
    while pending and progress:
        progress = False
        for item in list(pending):
            i, step = item
            sources = list(step.input_map.values())
            if not sources or any(s not in labels for s in sources):
                continue
            pending.remove(item)
            progress = True
            seen = {labels[s] for s in sources}
            if len(seen) > 1:
                folder.report(
                    "TRITON-E020",
                    f"in ensemble '{folder.name}', step #{i} (model '{step.model_name}') receives "
                    "inputs that come from different decoupled models; Triton refuses to load it",
                    "feed the step from one decoupled branch only (a decoupled model's responses "
                    "cannot be paired with another branch's)",
                    path=f"ensemble_scheduling.step[{i}]",
                )
            label = labels[sources[0]]
            if step.model_name in decoupled:
                fresh += 1
                label = fresh
            for target in step.output_map.values():
                labels.setdefault(target, label)
    outputs = [t.name for t in config.output]
    if outputs and all(o in labels for o in outputs) and len({labels[o] for o in outputs}) > 1:
        folder.report(
            "TRITON-E020",
            f"the outputs of ensemble '{folder.name}' come from different decoupled models; "
            "Triton refuses to load it",
            "take every ensemble output from the same decoupled branch",
            path="output",
        )


def check_failing_steps(folders: list[ModelFolder], sink: list[Diagnostic]) -> None:
    """An ensemble fails with any step model that fails (transitively, through nested ensembles).

    core src/model_repository_manager/model_repository_manager.cc: an ensemble whose step model
    is not valid or has no loaded version is not loaded ("ensemble '...' depends on '...' which
    is not valid" / "which has no loaded version"). Runs last, on every other check's errors.
    """
    failing = {d.model for d in sink if d.severity == "error"}
    if not failing:
        return
    ensembles = [f for f in folders if f.is_ensemble and f.config is not None]
    changed = True
    while changed:
        changed = False
        for folder in ensembles:
            if folder.name in failing:
                continue
            assert folder.config is not None
            steps = [s.model_name for s in folder.config.ensemble_scheduling.step]
            bad = sorted({s for s in steps if s in failing})
            if bad:
                folder.report(
                    "TRITON-E021",
                    f"ensemble '{folder.name}' fails with its step model "
                    f"{', '.join(repr(b) for b in bad)}, which has errors (reported on that "
                    "model): Triton does not load an ensemble over a model it refuses",
                    f"fix {', '.join(repr(b) for b in bad)} first",
                    path="ensemble_scheduling.step",
                )
                failing.add(folder.name)
                changed = True
