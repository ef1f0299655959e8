"""What the project file asks the repository to hold: one ``ModelPlan`` per model.

The plan is the hand-off from ``spec`` (what users write) to ``repository`` (what lands on disk):
the mirrored config plus the files each version and the model folder need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tritonops.model_config import ModelConfig


@dataclass(frozen=True)
class ModelPlan:
    """One model folder: its config, its kind, its versions and the files to place."""

    config: ModelConfig
    kind: str
    versions: tuple[int, ...] = (1,)
    # relative path inside each version folder -> source file or folder on disk
    version_files: dict[str, Path] = field(default_factory=dict)
    # relative path inside the model folder (label files, warmup data) -> source on disk
    model_files: dict[str, Path] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name
