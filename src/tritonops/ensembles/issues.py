"""A problem the ensemble graph found, located by a config field path (never by file)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal


class IssueKind(str, Enum):
    """Stable identifiers; the validator maps each to a diagnostic code."""

    FORBIDDEN_FIELD = "forbidden-field"
    NO_STEPS = "no-steps"
    STEP_INCOMPLETE = "step-incomplete"
    UNKNOWN_MODEL = "unknown-model"
    UNMAPPED_INPUT = "unmapped-input"
    UNKNOWN_INPUT = "unknown-input"
    UNKNOWN_OUTPUT = "unknown-output"
    PRODUCED_TWICE = "produced-twice"
    INPUT_UNUSED = "input-unused"
    TENSOR_UNUSED = "tensor-unused"
    NOT_PRODUCED = "not-produced"
    OUTPUT_UNWRITTEN = "output-unwritten"
    DATA_CYCLE = "data-cycle"
    ENSEMBLE_CYCLE = "ensemble-cycle"
    DTYPE_MISMATCH = "dtype-mismatch"
    SHAPE_MISMATCH = "shape-mismatch"
    SHAPE_LOOSE = "shape-loose"
    BATCH_SIZE = "batch-size"
    MISSING_VERSION = "missing-version"


@dataclass(frozen=True)
class Issue:
    """A problem located by a config field path, e.g. ``ensemble_scheduling.step[0]``."""

    kind: IssueKind
    ensemble: str
    path: str
    message: str
    hint: str
    severity: Literal["error", "warning"] = "error"
