"""Cycles between ensembles: ``a`` uses ``b`` as a step and ``b`` (directly or not) uses ``a``."""

from __future__ import annotations

from collections.abc import Mapping

from tritonops.ensembles import paths
from tritonops.ensembles.issues import Issue, IssueKind
from tritonops.ensembles.model_signature import ModelSig


def check_ensemble_cycles(models: Mapping[str, ModelSig | None]) -> list[Issue]:
    """One issue per ensemble that sits on a cycle, pointing at the step that closes it."""
    edges: dict[str, list[tuple[int, str]]] = {}
    for name, model in models.items():
        if model is not None and model.steps is not None:
            edges[name] = [
                (i, s.model_name) for i, s in enumerate(model.steps) if s.model_name in models
            ]
    issues: list[Issue] = []
    reported: set[str] = set()
    for start in sorted(edges):
        cycle = _cycle_from(start, edges)
        if cycle is None or start in reported:
            continue
        reported.update(cycle)
        text = " -> ".join([*cycle, cycle[0]])
        for position, name in enumerate(cycle):
            nxt = cycle[(position + 1) % len(cycle)]
            index = next(i for i, target in edges[name] if target == nxt)
            issues.append(
                Issue(
                    IssueKind.ENSEMBLE_CYCLE,
                    name,
                    paths.step_field(index, "model_name"),
                    f"circular dependency between ensembles: {text}",
                    f"ensemble '{name}' must not (directly or through other ensembles) use itself "
                    f"as a step; change step {index}'s model_name",
                )
            )
    return issues


def _cycle_from(start: str, edges: dict[str, list[tuple[int, str]]]) -> list[str] | None:
    """The cycle through ``start``, found by depth-first search over ensemble edges, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for _, target in edges.get(node, []):
            if target == start:
                return trail
            if target in edges and target not in seen:
                seen.add(target)
                stack.append((target, [*trail, target]))
    return None
