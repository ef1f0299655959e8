"""Ensembles: build graph signatures for every model once, run ``tritonops.ensembles``, locate."""

from __future__ import annotations

from tritonops.ensembles import (
    IssueKind,
    ModelSig,
    check_ensemble,
    check_ensemble_cycles,
    signature_from_proto,
)
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
