"""Rules about one model that pydantic cannot see field by field: batching, versions, tensors.

Each check takes a model that already validated and the path where it sits in the project file, and
returns every problem it finds. Rules follow what Triton rejects at load time (see the reference in
``shared/reference/triton-model-config.md``), plus a few that Triton accepts but that never do what
the user meant (dynamic batching with ``max_batch_size: 0``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tritonops.errors import SpecIssue
from tritonops.model_config import (
    DataType,
    DynamicBatching,
    InstanceKind,
    ModelInput,
    ModelOutput,
    VersionPolicy,
)
from tritonops.spec.issues import Locator
from tritonops.spec.models import EnsembleSpec, ModelSpec
from tritonops.spec.vllm import check_vllm
from tritonops.spec.yamlmarks import Loc


def check_model(spec: ModelSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    """Every single-model rule for ``spec`` (sources on disk are checked in ``sources``)."""
    issues = check_versions(spec.versions, (*loc, "versions"), at)
    issues += check_tensors(spec.inputs, (*loc, "inputs"), "input", at)
    issues += check_tensors(spec.outputs, (*loc, "outputs"), "output", at)
    issues += _check_batching(spec, loc, at)
    issues += check_version_policy(spec.version_policy, spec.versions, loc, at)
    issues += _check_instance_groups(spec, loc, at)
    issues += _check_transactions(spec, loc, at)
    issues += check_vllm(spec, loc, at)
    return issues


def check_ensemble_fields(spec: EnsembleSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    """The single-model rules that apply to an ensemble's own fields."""
    issues = check_tensors(spec.inputs, (*loc, "inputs"), "input", at)
    issues += check_tensors(spec.outputs, (*loc, "outputs"), "output", at)
    issues += check_version_policy(spec.version_policy, [1], loc, at)
    return issues


def check_versions(versions: Sequence[int], loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    seen: set[int] = set()
    for index, version in enumerate(versions):
        if version in seen:
            issues.append(
                at.issue((*loc, index), f"version {version} is listed twice", "remove it")
            )
        seen.add(version)
    return issues


def check_tensors(
    tensors: Sequence[ModelInput | ModelOutput], loc: Loc, noun: str, at: Locator
) -> list[SpecIssue]:
    """Names unique, a real data type, and dims Triton accepts (>= 1 or -1, never empty)."""
    issues: list[SpecIssue] = []
    seen: set[str] = set()
    for index, tensor in enumerate(tensors):
        here = (*loc, index)
        if tensor.name in seen:
            issues.append(
                at.issue((*here, "name"), f"{noun} {tensor.name!r} is declared twice", "rename one")
            )
        seen.add(tensor.name)
        if tensor.data_type is DataType.TYPE_INVALID:
            issues.append(
                at.issue(
                    (*here, "data_type"),
                    f"{noun} {tensor.name!r} needs a real data type",
                    "use e.g. fp32, int64 or string",
                )
            )
        if not tensor.dims:
            issues.append(
                at.issue(
                    (*here, "dims"),
                    f"{noun} {tensor.name!r} has no dims; Triton requires them",
                    "list the shape without the batch dimension, e.g. [3, 224, 224] or [-1]",
                )
            )
        for d, dim in enumerate(tensor.dims):
            if dim < 1 and dim != -1:
                issues.append(
                    at.issue(
                        (*here, "dims", d),
                        f"dimension {dim} is not allowed",
                        "use a size >= 1, or -1 for a variable size",
                    )
                )
    return issues


def check_version_policy(
    policy: VersionPolicy | None, versions: Sequence[int], loc: Loc, at: Locator
) -> list[SpecIssue]:
    if policy is None:
        return []
    here = (*loc, "version_policy")
    issues: list[SpecIssue] = []
    if policy.latest is not None and policy.latest.num_versions < 1:
        issues.append(
            at.issue(
                (*here, "latest", "num_versions"),
                f"num_versions {policy.latest.num_versions} would serve no version",
                "use 1 or more",
            )
        )
    if policy.specific is not None:
        if not policy.specific.versions:
            issues.append(
                at.issue(
                    (*here, "specific"),
                    "a specific policy without versions serves nothing",
                    "list the versions to serve",
                )
            )
        listed = ", ".join(str(v) for v in versions)
        for index, version in enumerate(policy.specific.versions):
            if version not in versions:
                issues.append(
                    at.issue(
                        (*here, "specific", "versions", index),
                        f"version {version} is not one of this model's versions ({listed})",
                        f"add {version} to versions or drop it here",
                    )
                )
    return issues


def _check_batching(spec: ModelSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    mbs = spec.max_batch_size
    if spec.dynamic_batching is not None and spec.sequence_batching is not None:
        issues.append(
            at.issue(
                (*loc, "sequence_batching"),
                "one scheduler per model: dynamic_batching and sequence_batching are both set",
                "keep one of them",
            )
        )
    if spec.dynamic_batching is not None:
        here = (*loc, "dynamic_batching")
        if mbs == 0:
            issues.append(
                at.issue(
                    here,
                    "dynamic_batching with max_batch_size 0 never batches: Triton loads it and"
                    " runs every request alone",
                    "set max_batch_size > 0 or remove dynamic_batching",
                )
            )
        issues += _preferred_sizes(spec.dynamic_batching.preferred_batch_size, mbs, here, at)
        issues += _priorities(spec.dynamic_batching, here, at)
    oldest = spec.sequence_batching.oldest if spec.sequence_batching is not None else None
    if oldest is not None:
        here = (*loc, "sequence_batching", "oldest")
        issues += _preferred_sizes(oldest.preferred_batch_size, mbs, here, at)
    return issues


def _preferred_sizes(sizes: Sequence[int], mbs: int, loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for index, size in enumerate(sizes):
        here = (*loc, "preferred_batch_size", index)
        if size <= 0:
            issues.append(at.issue(here, f"preferred batch size {size} must be > 0", "remove it"))
        elif mbs > 0 and size > mbs:
            issues.append(
                at.issue(
                    here,
                    f"{size} exceeds max_batch_size {mbs}",
                    "lower it or raise max_batch_size",
                )
            )
    return issues


def _priorities(batching: DynamicBatching, loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    levels = batching.priority_levels
    default = batching.default_priority_level
    if levels < 0:
        issues.append(at.issue((*loc, "priority_levels"), "must be >= 0", "use 0 (off) or more"))
    elif levels == 0:
        if default != 0:
            issues.append(
                at.issue(
                    (*loc, "default_priority_level"),
                    f"default_priority_level {default} needs priority_levels",
                    f"set priority_levels >= {default} or remove default_priority_level",
                )
            )
        for key in batching.priority_queue_policy:
            issues.append(
                at.issue(
                    (*loc, "priority_queue_policy", key),
                    f"a queue policy for priority {key} needs priority_levels",
                    "set priority_levels or remove priority_queue_policy",
                )
            )
    else:
        if not 1 <= default <= levels:
            issues.append(
                at.issue(
                    (*loc, "default_priority_level"),
                    f"default_priority_level {default} is outside [1, {levels}]",
                    f"choose a level from 1 to {levels}",
                )
            )
        for key in batching.priority_queue_policy:
            if not 1 <= key <= levels:
                issues.append(
                    at.issue(
                        (*loc, "priority_queue_policy", key),
                        f"priority {key} is outside [1, {levels}]",
                        f"use a level from 1 to {levels}",
                        key=True,
                    )
                )
        if batching.preserve_ordering and levels > 1:
            issues.append(
                at.issue(
                    (*loc, "preserve_ordering"),
                    "preserve_ordering cannot be combined with more than one priority level",
                    "turn off preserve_ordering or use priority_levels 1",
                )
            )
    return issues


def _check_instance_groups(spec: ModelSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    for index, group in enumerate(spec.instance_group):
        here = (*loc, "instance_group", index)
        if group.kind in (InstanceKind.KIND_CPU, InstanceKind.KIND_MODEL) and group.gpus:
            issues.append(
                at.issue(
                    (*here, "gpus"),
                    f"{group.kind.value} instances cannot list gpus",
                    "remove gpus or use kind: gpu",
                )
            )
        if group.count < 0:
            issues.append(at.issue((*here, "count"), "count must be >= 0", "use 1 or more"))
    return issues


def _check_transactions(spec: ModelSpec, loc: Loc, at: Locator) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    policy = spec.model_transaction_policy
    if spec.decoupled is not None and policy is not None and policy.decoupled != spec.decoupled:
        issues.append(
            at.issue(
                (*loc, "decoupled"),
                "decoupled disagrees with model_transaction_policy.decoupled",
                "keep one of them",
            )
        )
    cache = spec.response_cache is not None and spec.response_cache.enable
    if cache and spec.is_decoupled:
        issues.append(
            at.issue(
                (*loc, "response_cache"),
                "Triton's response cache does not support decoupled models",
                "disable response_cache or make the model non-decoupled",
            )
        )
    if cache and spec.sequence_batching is not None:
        issues.append(
            at.issue(
                (*loc, "response_cache"),
                "Triton's response cache cannot be used with sequence_batching",
                "disable response_cache",
            )
        )
    return issues
