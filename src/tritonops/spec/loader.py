"""``load_project``: read the project file, validate every entry, report every problem at once.

Each model, ensemble and experiment is validated on its own, so one broken entry does not hide the
problems of the others; cross-entry checks then run over the entries that validated. Nothing but
``SpecError`` leaves this module for bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from tritonops.atomic import REPOSITORY_MARKER, recover_directory
from tritonops.errors import SpecError, SpecIssue
from tritonops.spec.crossrefs import (
    check_ensemble_steps,
    check_experiment,
    check_unique,
    generated_names,
)
from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.fields import SpecModel
from tritonops.spec.issues import Locator, choice_issue, format_path, validation_issues
from tritonops.spec.model_rules import check_ensemble_fields, check_model
from tritonops.spec.models import MODEL_KINDS, EnsembleSpec, ModelSpec
from tritonops.spec.paths import allowed_roots, check_inside
from tritonops.spec.project import Project
from tritonops.spec.sources import (
    check_experiment_files,
    check_model_sources,
    check_templates,
    resolve,
)
from tritonops.spec.targets import Targets
from tritonops.spec.yamlmarks import Loc, read_yaml

_Spec = TypeVar("_Spec", bound=BaseModel)

DEFAULT_REPOSITORY = "model_repository"


class ProjectHead(SpecModel):
    """The top level; entries are validated one by one afterwards."""

    repository: str = Field(
        default=DEFAULT_REPOSITORY,
        min_length=1,
        description="The model repository folder that build and render write, relative to the"
        " project file.",
        examples=["model_repository"],
    )
    templates: str | None = Field(
        default=None,
        min_length=1,
        description="A folder of Jinja templates overriding the built-in ones file by file"
        " (e.g. partials/_batching.j2).",
        examples=["templates"],
    )
    # folders outside the project that its paths may point into (see spec.paths)
    allow_paths_outside_project: list[str] = Field(
        default_factory=list,
        description="Folders outside the project folder that source, files, execution_env,"
        " dataset and templates may point into (absolute or relative to the project file).",
        examples=[["/mnt/models", "../shared"]],
    )
    models: list[Any] = Field(
        examples=[[{"name": "classifier", "kind": "onnx", "source": "models/classifier.onnx"}]],
        default_factory=list,
        description="The models built from sources; an entry with kind: ensemble is an ensemble.",
    )
    ensembles: list[Any] = Field(
        examples=[
            [
                {
                    "name": "pipeline",
                    "steps": [
                        {
                            "model": "preprocess",
                            "inputs": {"RAW": "RAW"},
                            "outputs": {"FEATURES": "features"},
                        },
                        {
                            "model": "classifier",
                            "inputs": {"input": "features"},
                            "outputs": {"probabilities": "SCORES"},
                        },
                    ],
                }
            ]
        ],
        default_factory=list,
        description="Pipelines of models, run by Triton as one model.",
    )
    experiments: list[Any] = Field(
        examples=[
            [
                {
                    "name": "classifier-v2",
                    "variants": [
                        {"name": "control", "model": "classifier_v1", "weight": 90},
                        {"name": "candidate", "model": "classifier_v2", "weight": 10},
                    ],
                }
            ]
        ],
        default_factory=list,
        description="A/B experiments between variants, run by tritonops ab-test.",
    )
    targets: Any = Field(
        default=None,
        description="Where tritonops deploy puts the repository.",
        examples=[{"local": {}}],
    )

    @field_validator("models", "ensembles", "experiments", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        # ``models:`` with nothing under it reads as null; it means "none yet"
        return [] if value is None else value


def load_project(path: Path | str) -> Project:
    """Load and validate ``path``; raise ``SpecError`` carrying every problem found.

    Issues name the file as given (``tritonops.yaml``), so messages match what the user typed.
    """
    file = str(path)
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        issue = SpecIssue(file, None, None, "", f"cannot read the project file: {reason}")
        raise SpecError([issue]) from exc
    text, decode_issue = _decode(raw, file)
    if decode_issue is not None:
        raise SpecError([decode_issue])
    document = read_yaml(text)
    locator = Locator(file, document.marks)
    issues = [
        SpecIssue(file, p.position.line, p.position.column, format_path(p.loc), p.message, p.fix)
        for p in document.problems
    ]
    data = document.data
    if data is None and not issues:
        issues.append(locator.issue((), "the project file is empty", "add models: and a model"))
    elif data is not None and not isinstance(data, dict):
        issues.append(
            locator.issue(
                (),
                "the project file must be a mapping of keys such as models: and targets:",
                "start with 'models:' at the beginning of a line",
            )
        )
    if issues or not isinstance(data, dict):
        raise SpecError(_ordered(issues))
    project = _Assembler(data, locator, path.resolve()).run(issues)
    if issues or project is None:
        raise SpecError(_ordered(issues))
    # Every command that uses the repository loads the project first: the place to finish what a
    # killed render left (a repository set aside mid-swap, temp folders).
    recover_directory(project.repository, REPOSITORY_MARKER)
    return project


def _decode(raw: bytes, file: str) -> tuple[str, SpecIssue | None]:
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode(encoding, errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        message = f"the project file is not valid {encoding.removesuffix('-sig')} text"
        return "", SpecIssue(file, line, column, "", message, "save it as UTF-8")


def _ordered(issues: list[SpecIssue]) -> list[SpecIssue]:
    return sorted(issues, key=lambda i: (i.line or 0, i.column or 0))


class _Assembler:
    """Validates each entry, runs the checks, and builds the ``Project`` when nothing is wrong."""

    def __init__(self, data: dict[Any, Any], locator: Locator, path: Path) -> None:
        self.data = data
        self.at = locator
        self.path = path
        self.root = path.parent

    def run(self, issues: list[SpecIssue]) -> Project | None:
        head = self._head(issues)
        sections: dict[str, list[Any]] = {}
        for name in ("models", "ensembles", "experiments"):
            value = self.data.get(name)
            sections[name] = value if isinstance(value, list) else []
        models: list[tuple[Loc, ModelSpec]] = []
        ensembles: list[tuple[Loc, EnsembleSpec]] = []
        for index, raw in enumerate(sections["models"]):
            loc: Loc = ("models", index)
            if isinstance(raw, dict) and raw.get("kind") == "ensemble":
                self._add(EnsembleSpec, raw, loc, ensembles, issues)
            else:
                self._add(ModelSpec, raw, loc, models, issues)
        for index, raw in enumerate(sections["ensembles"]):
            self._add(EnsembleSpec, raw, ("ensembles", index), ensembles, issues)
        experiments: list[tuple[Loc, ExperimentSpec]] = []
        for index, raw in enumerate(sections["experiments"]):
            self._add(ExperimentSpec, raw, ("experiments", index), experiments, issues)
        targets = self._targets(issues)

        named = [
            (raw["name"], (section, index))
            for section in ("models", "ensembles")
            for index, raw in enumerate(sections[section])
            if isinstance(raw, dict) and isinstance(raw.get("name"), str)
        ]
        issues += check_unique(named, "model", self.at)
        names: dict[str, Loc] = {}
        for name, loc in named:
            names.setdefault(name, loc)
        for loc, model in models:  # a tensorrt_llm entry's ensemble, BLS, pre/postprocessing
            for generated in generated_names(model):
                names.setdefault(generated, loc)
        specs: dict[str, ModelSpec | EnsembleSpec] = {}
        for _, model in models:
            specs.setdefault(model.name, model)
        for _, ensemble in ensembles:
            specs.setdefault(ensemble.name, ensemble)
        for loc, model in models:
            issues += check_model(model, loc, self.at)
            issues += check_model_sources(model, loc, self.root, self.at)
        for loc, ensemble in ensembles:
            issues += check_ensemble_fields(ensemble, loc, self.at)
            issues += check_ensemble_steps(ensemble, loc, names, specs, self.at)
        experiment_names = [(e.name, loc) for loc, e in experiments]
        issues += check_unique(experiment_names, "experiment", self.at)
        for loc, experiment in experiments:
            issues += check_experiment(experiment, loc, names, specs, self.at)
            issues += check_experiment_files(experiment, loc, self.root, self.at)
        if head is not None and head.templates is not None:
            issues += check_templates(head.templates, self.root, self.at)
        if head is not None:
            allowed, allow_issues = allowed_roots(
                head.allow_paths_outside_project, self.root, self.at
            )
            issues += allow_issues
            issues += check_inside(models, experiments, head.templates, self.root, allowed, self.at)
        if issues or head is None or targets is None:
            return None
        ensembles.sort(key=lambda pair: (pair[0][0] != "models", pair[0][1]))
        return Project(
            path=self.path,
            repository=resolve(self.root, head.repository),
            templates=resolve(self.root, head.templates) if head.templates else None,
            models=[spec for _, spec in models],
            ensembles=[spec for _, spec in ensembles],
            experiments=[spec for _, spec in experiments],
            targets=targets,
            locator=self.at,
            locs={id(spec): loc for loc, spec in [*models, *ensembles, *experiments]},
        )

    def _head(self, issues: list[SpecIssue]) -> ProjectHead | None:
        try:
            return ProjectHead.model_validate(self.data)
        except ValidationError as exc:
            issues += validation_issues(exc.errors(), ProjectHead, (), self.at)
            return None

    def _targets(self, issues: list[SpecIssue]) -> Targets | None:
        raw = self.data.get("targets")
        try:
            return Targets.model_validate({} if raw is None else raw)
        except ValidationError as exc:
            issues += validation_issues(exc.errors(), Targets, ("targets",), self.at)
            return None

    def _add(
        self,
        kind: type[_Spec],
        raw: Any,
        loc: Loc,
        into: list[tuple[Loc, _Spec]],
        issues: list[SpecIssue],
    ) -> None:
        try:
            into.append((loc, kind.model_validate(raw)))
        except ValidationError as exc:
            errors = exc.errors()
            if kind is ModelSpec:
                # the kind decides the class, so its message must list ensemble too
                errors, kind_issues = self._kind_issues(errors, raw, loc)
                issues += kind_issues
            issues += validation_issues(errors, kind, loc, self.at)

    def _kind_issues(
        self, errors: list[ErrorDetails], raw: Any, loc: Loc
    ) -> tuple[list[ErrorDetails], list[SpecIssue]]:
        rest: list[ErrorDetails] = []
        issues: list[SpecIssue] = []
        for err in errors:
            if err["loc"] != ("kind",):
                rest.append(err)
            elif err["type"] == "missing":
                issues.append(
                    self.at.issue(
                        (*loc, "kind"),
                        "required key 'kind' is missing",
                        "add kind: with one of " + ", ".join(MODEL_KINDS),
                    )
                )
            else:
                value = raw.get("kind") if isinstance(raw, dict) else None
                issues.append(choice_issue((*loc, "kind"), value, MODEL_KINDS, self.at))
        return rest, issues
