"""An ensemble against its step models: existence, versions, batch sizes, and map keys.

Triton checks these after the steps load. A step model without usable I/O (left to auto-complete,
or a config that did not parse) skips the checks that need its tensors rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping

from tritonops.ensembles import paths
from tritonops.ensembles.issues import Issue, IssueKind
from tritonops.ensembles.model_signature import ModelSig, StepSig


def check_steps(ensemble: ModelSig, models: Mapping[str, ModelSig | None]) -> list[Issue]:
    """Problems between ``ensemble`` and the step models it names (``models`` indexed by name)."""
    issues: list[Issue] = []
    for i, step in enumerate(ensemble.steps or ()):
        if not step.model_name:
            continue  # reported by wiring
        if step.model_name not in models:
            issues.append(_unknown_model(ensemble, i, step, models))
            continue
        model = models[step.model_name]
        if model is None:
            continue  # its own config errors are reported on it
        issues += _version(ensemble, i, step, model)
        issues += _batch_size(ensemble, i, model)
        if model.io_known:
            issues += _maps(ensemble, i, step, model)
    return issues


def _unknown_model(
    ensemble: ModelSig, index: int, step: StepSig, models: Mapping[str, ModelSig | None]
) -> Issue:
    close = [m for m in models if m.lower() == step.model_name.lower()]
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"add a model folder '{step.model_name}' or fix the step's model_name"
    )
    return Issue(
        IssueKind.UNKNOWN_MODEL,
        ensemble.name,
        paths.step_field(index, "model_name"),
        f"step {index} of ensemble '{ensemble.name}' uses model '{step.model_name}', "
        "which is not in the repository",
        hint,
    )


def _version(ensemble: ModelSig, index: int, step: StepSig, model: ModelSig) -> list[Issue]:
    if step.model_version < 0 or model.versions is None or step.model_version in model.versions:
        return []
    have = ", ".join(str(v) for v in sorted(model.versions)) or "none"
    # 0 is also what an omitted model_version reads as, and Triton 2.51 then really requires
    # version 0 ("whose required version 0 is not loaded", seen on a real server).
    implicit = step.model_version == 0
    return [
        Issue(
            IssueKind.MISSING_VERSION,
            ensemble.name,
            paths.step_field(index, "model_version"),
            f"step {index} of ensemble '{ensemble.name}' "
            + ("omits model_version, which Triton reads as" if implicit else "pins")
            + f" version {step.model_version} of '{model.name}', which does not serve it "
            f"(served: {have})",
            f"set `model_version: -1` (latest) or add '{model.name}/{step.model_version}/'",
            "error",
        )
    ]


def _batch_size(ensemble: ModelSig, index: int, model: ModelSig) -> list[Issue]:
    if model.max_batch_size <= 0 or ensemble.max_batch_size <= model.max_batch_size:
        return []  # a non-batching step is fine: the scheduler adds or strips a batch dim of 1
    return [
        Issue(
            IssueKind.BATCH_SIZE,
            ensemble.name,
            "max_batch_size",
            f"ensemble '{ensemble.name}' allows max_batch_size {ensemble.max_batch_size}, but "
            f"step {index} model '{model.name}' only allows {model.max_batch_size}",
            f"lower the ensemble's max_batch_size to {model.max_batch_size} or raise "
            f"'{model.name}'s",
        )
    ]


def _maps(ensemble: ModelSig, index: int, step: StepSig, model: ModelSig) -> list[Issue]:
    issues = []
    mapped = {k for k, _ in step.input_map}
    declared_in = [t.name for t in model.inputs]
    declared_out = [t.name for t in model.outputs]
    for key, tensor in step.input_map:
        if model.input(key) is None:
            issues.append(
                Issue(
                    IssueKind.UNKNOWN_INPUT,
                    ensemble.name,
                    paths.step_map(index, "input_map", key),
                    f"step {index} of ensemble '{ensemble.name}' maps '{tensor}' to input "
                    f"'{key}', which model '{model.name}' does not have",
                    f"input_map keys are the step model's input names: {_names(declared_in)}",
                )
            )
    for sig in model.inputs:
        if sig.name not in mapped and not sig.optional:
            issues.append(
                Issue(
                    IssueKind.UNMAPPED_INPUT,
                    ensemble.name,
                    paths.step_field(index, "input_map"),
                    f"input '{sig.name}' of model '{model.name}' (step {index} of ensemble "
                    f"'{ensemble.name}') is not fed by any ensemble tensor",
                    f'add `input_map {{ key: "{sig.name}" value: "<ensemble tensor>" }}` '
                    "to the step, or mark the input `optional: true`",
                )
            )
    for key, tensor in step.output_map:
        if model.output(key) is None:
            issues.append(
                Issue(
                    IssueKind.UNKNOWN_OUTPUT,
                    ensemble.name,
                    paths.step_map(index, "output_map", key),
                    f"step {index} of ensemble '{ensemble.name}' maps output '{key}' of model "
                    f"'{model.name}' to '{tensor}', but '{model.name}' has no output '{key}'",
                    f"output_map keys are the step model's output names: {_names(declared_out)}",
                )
            )
    return issues


def _names(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names) or "(none declared)"
