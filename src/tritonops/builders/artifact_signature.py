"""The artifact's IO signature fills the config where the project file left it open."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from tritonops.errors import BuildError
from tritonops.model_config import ModelInput, ModelOutput
from tritonops.spec import ModelPlan, ModelSpec


def _describe(tensors: list[ModelInput] | list[ModelOutput]) -> str:
    return ", ".join(f"{t.name}:{t.data_type.value}{t.dims}" for t in tensors) or "(none)"


def _conflicts(
    side: str,
    declared: list[ModelInput] | list[ModelOutput],
    found: list[ModelInput] | list[ModelOutput],
) -> list[str]:
    problems = []
    by_name = {t.name: t for t in found}
    for tensor in declared:
        other = by_name.get(tensor.name)
        if other is None:
            problems.append(
                f"{side} {tensor.name!r} is not in the artifact (it has {_describe(found)})"
            )
        elif other.data_type is not tensor.data_type:
            problems.append(
                f"{side} {tensor.name!r}: the project file says {tensor.data_type.value}, "
                f"the artifact {other.data_type.value}"
            )
        elif len(other.dims) != len(tensor.dims) or any(
            a != -1 and b != -1 and a != b for a, b in zip(other.dims, tensor.dims, strict=True)
        ):
            problems.append(
                f"{side} {tensor.name!r}: the project file says dims {tensor.dims}, "
                f"the artifact {other.dims}"
            )
    return problems


def apply_signature(plan: ModelPlan, spec: ModelSpec, signature_file: Path) -> ModelPlan:
    """Fill inputs, outputs and max_batch_size from the artifact unless the project sets them."""
    if not signature_file.is_file():
        return plan
    data = json.loads(signature_file.read_text())
    config = plan.config
    params = {k: str(v) for k, v in data.get("parameters", {}).items()}
    if params:
        config = config.model_copy(update={"parameters": {**params, **config.parameters}})
    found = data.get("signature")
    if found is None:
        return replace(plan, config=config)
    inputs = [ModelInput.model_validate(t) for t in found["inputs"]]
    outputs = [ModelOutput.model_validate(t) for t in found["outputs"]]
    problems = _conflicts("input", spec.inputs, inputs) + _conflicts(
        "output", spec.outputs, outputs
    )
    if problems:
        raise BuildError(
            f"model {spec.name!r}: the project file and the built artifact disagree:\n  "
            + "\n  ".join(problems)
            + "\n— fix the project file's inputs/outputs, or drop them to take the artifact's"
        )
    update: dict[str, object] = {}
    if not spec.inputs:
        update["input"] = inputs
    if not spec.outputs:
        update["output"] = outputs
    if "max_batch_size" not in spec.model_fields_set:
        update["max_batch_size"] = int(found["max_batch_size"])
    return replace(plan, config=config.model_copy(update=update))
