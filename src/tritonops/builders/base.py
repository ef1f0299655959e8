"""What every builder gives the build orchestrator: a fingerprint, a plan, and an artifact.

A builder turns one model's source into the files of one version folder, inside a work dir the
orchestrator owns (so a failed or killed build never touches the repository). It never renders
configs: it reports the artifact's IO signature, and the orchestrator fills the config from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tritonops.model_config import ModelInput, ModelOutput
from tritonops.spec import ModelSpec, Project


@dataclass(frozen=True)
class IOSignature:
    """What the artifact takes and returns; ``max_batch_size`` 0 when it has no batch axis."""

    inputs: tuple[ModelInput, ...]
    outputs: tuple[ModelOutput, ...]
    max_batch_size: int = 0


@dataclass(frozen=True)
class ParityResult:
    """Artifact vs source on sample inputs; recorded either way, blocks the build when not ok."""

    ok: bool
    max_abs_error: float
    max_rel_error: float
    samples: int
    top1_agreement: float | None = None
    tolerance: dict[str, float] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class BuildContext:
    """One model version to build."""

    project: Project
    model: ModelSpec
    version: int
    # an empty folder owned by the orchestrator; the builder writes the version's files here
    work_dir: Path


@dataclass(frozen=True)
class Artifact:
    """The files a builder wrote (paths relative to the work dir) and what it knows of them."""

    files: tuple[str, ...]
    signature: IOSignature | None = None
    parity: ParityResult | None = None
    # names and versions of the tools that shaped the artifact (onnx, onnxruntime, torch, ...)
    tools: dict[str, str] = field(default_factory=dict)
    # extra settings the config needs (e.g. TRT-LLM parameters), merged by the orchestrator
    parameters: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


class Builder(Protocol):
    """One per source kind. ``fingerprint`` must be cheap: it decides whether to build at all."""

    kind: str

    def fingerprint(self, ctx: BuildContext) -> dict[str, Any]:
        """Everything that shapes the artifact: source file hashes, options, tool versions."""

    def plan(self, ctx: BuildContext) -> list[str]:
        """The exact steps ``build`` would take, for ``--dry-run`` (no work, no GPU needed)."""

    def build(self, ctx: BuildContext) -> Artifact:
        """Write the version's files into ``ctx.work_dir``; raise BuildError on failure."""
