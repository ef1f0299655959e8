"""The ensemble graph: wiring, data type and shape propagation, cycles and dangling tensors.

Works on ``ModelSig`` signatures (built from Triton's ``inference.ModelConfig`` messages with
``signature_from_proto``); it never touches files. Each check returns ``Issue`` objects located by a
config field path, which the repository validator turns into file:line diagnostics.
"""

from __future__ import annotations

from collections.abc import Mapping

from tritonops.ensembles.cycles import check_ensemble_cycles
from tritonops.ensembles.issues import Issue, IssueKind
from tritonops.ensembles.model_signature import ModelSig, StepSig, TensorSig, signature_from_proto
from tritonops.ensembles.propagation import check_propagation
from tritonops.ensembles.steps import check_steps
from tritonops.ensembles.wiring import check_wiring


def check_ensemble(ensemble: ModelSig, models: Mapping[str, ModelSig | None]) -> list[Issue]:
    """Every problem of one ensemble: its own wiring, then against its step models."""
    return [
        *check_wiring(ensemble),
        *check_steps(ensemble, models),
        *check_propagation(ensemble, models),
    ]


__all__ = [
    "Issue",
    "IssueKind",
    "ModelSig",
    "StepSig",
    "TensorSig",
    "check_ensemble",
    "check_ensemble_cycles",
    "check_propagation",
    "check_steps",
    "check_wiring",
    "signature_from_proto",
]
