"""A loaded project: every entry validated, paths resolved, and the way back to the file's lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tritonops.errors import SpecIssue
from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.issues import Locator
from tritonops.spec.models import EnsembleSpec, ModelSpec
from tritonops.spec.sources import resolve
from tritonops.spec.targets import Targets
from tritonops.spec.yamlmarks import Loc

Entry = ModelSpec | EnsembleSpec | ExperimentSpec


@dataclass(frozen=True)
class Project:
    """The project file, valid as a whole.

    ``models`` holds the models built from sources; ``ensembles`` every ensemble, including one
    written under ``models:`` with ``kind: ensemble`` (in file order). Later stages that find a
    problem in an entry report it at the entry's line with ``issue``.
    """

    path: Path
    repository: Path
    templates: Path | None
    models: list[ModelSpec]
    ensembles: list[EnsembleSpec]
    experiments: list[ExperimentSpec]
    targets: Targets
    locator: Locator = field(repr=False, compare=False)
    # id(entry) -> its path in the file, e.g. ("models", 3)
    locs: dict[int, Loc] = field(default_factory=dict, repr=False, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path written in the project file, made absolute."""
        return resolve(self.root, relative)

    def loc(self, entry: Entry) -> Loc:
        """Where ``entry`` sits in the file, e.g. ``("ensembles", 0)``."""
        return self.locs[id(entry)]

    def issue(self, entry: Entry, sub: Loc, message: str, fix: str = "") -> SpecIssue:
        """A problem at ``sub`` inside ``entry`` (e.g. ``("steps", 1, "inputs")``), located."""
        return self.locator.issue((*self.loc(entry), *sub), message, fix)

    def model(self, name: str) -> ModelSpec | EnsembleSpec | None:
        """The model or ensemble called ``name``."""
        every: list[ModelSpec | EnsembleSpec] = [*self.models, *self.ensembles]
        for spec in every:
            if spec.name == name:
                return spec
        return None
