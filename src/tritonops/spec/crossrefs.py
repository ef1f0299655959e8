"""Rules that span entries: one namespace of model names, ensemble steps, experiment variants.

``names`` holds every model and ensemble name written in the file, including entries that failed
validation, so a step naming a model with a typo elsewhere in it is not also called "unknown".
``specs`` holds only entries that validated; deeper checks (versions, batch sizes) need them.
"""

from __future__ import annotations

from collections.abc import Mapping

from tritonops.errors import SpecIssue
from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.issues import Locator, suggest
from tritonops.spec.models import EnsembleSpec, ModelSpec
from tritonops.spec.yamlmarks import Loc

AnyModel = ModelSpec | EnsembleSpec


def check_unique(entries: list[tuple[str, Loc]], noun: str, at: Locator) -> list[SpecIssue]:
    """``entries`` are (name, path of the entry) in file order; later repeats are the problem."""
    issues: list[SpecIssue] = []
    first: dict[str, Loc] = {}
    for name, loc in entries:
        if name in first:
            line = at.marks.locate((*first[name], "name")).line
            issues.append(
                at.issue(
                    (*loc, "name"),
                    f"{noun} name {name!r} is already used (line {line})",
                    "give each one its own name",
                )
            )
        else:
            first[name] = loc
    return issues


def generated_names(spec: ModelSpec) -> list[str]:
    """The models a tensorrt_llm entry adds to the repository beside its engine model, which
    experiments and ensembles may name (the convention of builders/tensorrt_llm/repository.py
    ``model_names``; a unit test holds the two together)."""
    build = spec.tensorrt_llm
    if spec.kind != "tensorrt_llm" or build is None:
        return []
    names = [f"{spec.name}_{part}" for part in ("preprocessing", "postprocessing", "ensemble")]
    return names + ([f"{spec.name}_bls"] if build.serving.bls else [])


def _versions(spec: AnyModel) -> list[int]:
    return spec.versions if isinstance(spec, ModelSpec) else [1]


def _unknown_model(loc: Loc, name: str, names: Mapping[str, Loc], at: Locator) -> SpecIssue:
    return at.issue(loc, f"no model named {name!r} in this project", suggest(name, names, "model"))


def _missing_version(loc: Loc, name: str, version: int, spec: AnyModel, at: Locator) -> SpecIssue:
    listed = ", ".join(str(v) for v in _versions(spec))
    return at.issue(
        loc,
        f"model {name!r} has no version {version} (it has {listed})",
        f"use one of {listed} or add {version} to its versions",
    )


def check_ensemble_steps(
    spec: EnsembleSpec,
    loc: Loc,
    names: Mapping[str, Loc],
    specs: Mapping[str, AnyModel],
    at: Locator,
) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for index, step in enumerate(spec.steps):
        here = (*loc, "steps", index)
        if step.model == spec.name:
            issues.append(
                at.issue((*here, "model"), "an ensemble cannot run itself", "name another model")
            )
            continue
        if step.model not in names:
            issues.append(_unknown_model((*here, "model"), step.model, names, at))
            continue
        target = specs.get(step.model)
        if target is None:
            continue  # it failed validation and was reported there
        if step.version is not None and step.version not in _versions(target):
            issues.append(
                _missing_version((*here, "version"), step.model, step.version, target, at)
            )
        step_mbs = target.max_batch_size
        if step_mbs > 0 and spec.max_batch_size > step_mbs:
            issues.append(
                at.issue(
                    (*loc, "max_batch_size"),
                    f"max_batch_size {spec.max_batch_size} exceeds {step_mbs}, the max_batch_size"
                    f" of step model {step.model!r}; Triton refuses to load the ensemble",
                    f"lower it to {step_mbs} or raise {step.model!r}'s max_batch_size",
                )
            )
    return issues


def check_experiment(
    spec: ExperimentSpec,
    loc: Loc,
    names: Mapping[str, Loc],
    specs: Mapping[str, AnyModel],
    at: Locator,
) -> list[SpecIssue]:
    issues = check_unique(
        [(v.name, (*loc, "variants", i)) for i, v in enumerate(spec.variants)], "variant", at
    )
    for index, variant in enumerate(spec.variants):
        issues += _check_reference(
            variant.model, variant.version, (*loc, "variants", index), names, specs, at
        )
    if all(v.weight == 0 for v in spec.variants):
        issues.append(
            at.issue(
                (*loc, "variants"),
                "every variant has weight 0, so no traffic would be sent",
                "give at least one variant a weight > 0",
            )
        )
    shadow = spec.shadow
    if shadow is not None:
        here = (*loc, "shadow")
        variants = [v.name for v in spec.variants]
        if shadow.variant is not None and shadow.variant not in variants:
            issues.append(
                at.issue(
                    here,
                    f"no variant named {shadow.variant!r} in this experiment",
                    suggest(shadow.variant, variants, "variant"),
                )
            )
        if shadow.model is not None:
            issues += _check_reference(shadow.model, shadow.version, here, names, specs, at)
    return issues


def _check_reference(
    model: str,
    version: int | None,
    loc: Loc,
    names: Mapping[str, Loc],
    specs: Mapping[str, AnyModel],
    at: Locator,
) -> list[SpecIssue]:
    if model not in names:
        return [_unknown_model((*loc, "model"), model, names, at)]
    target = specs.get(model)
    if target is not None and version is not None and version not in _versions(target):
        return [_missing_version((*loc, "version"), model, version, target, at)]
    return []
