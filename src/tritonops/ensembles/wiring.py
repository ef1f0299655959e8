"""The shape of one ensemble's graph, on its own config: what Triton checks when it polls.

Steps, maps, each tensor produced once, every ensemble input read, every intermediate produced and
consumed, every output written, and no data-flow cycle among steps.
"""

from __future__ import annotations

from collections import defaultdict

from tritonops.ensembles import paths
from tritonops.ensembles.issues import Issue, IssueKind
from tritonops.ensembles.model_signature import ModelSig


def check_wiring(ensemble: ModelSig) -> list[Issue]:
    """Every graph-shape problem of ``ensemble`` (a signature whose ``steps`` is not None)."""
    issues = _placement(ensemble)
    steps = ensemble.steps or ()
    name = ensemble.name
    if not steps:
        issues.append(
            Issue(
                IssueKind.NO_STEPS,
                name,
                "ensemble_scheduling",
                f"ensemble '{name}' has no steps",
                "add at least one `step { model_name: ... input_map {...} output_map {...} }`",
            )
        )
        return issues
    issues += _incomplete_steps(ensemble)
    producers: dict[str, list[int]] = defaultdict(list)
    consumers: dict[str, list[int]] = defaultdict(list)
    for i, step in enumerate(steps):
        for _, tensor in step.output_map:
            producers[tensor].append(i)
        for _, tensor in step.input_map:
            consumers[tensor].append(i)
    inputs = {t.name for t in ensemble.inputs}
    outputs = {t.name for t in ensemble.outputs}
    issues += _produced_twice(name, producers)
    issues += _connections(ensemble, producers, consumers, inputs, outputs)
    issues += _cycles(ensemble, producers)
    return issues


def _placement(ensemble: ModelSig) -> list[Issue]:
    issues = []
    for field, present in (
        ("instance_group", ensemble.has_instance_group),
        ("optimization", ensemble.has_optimization),
        ("model_warmup", ensemble.has_warmup),
    ):
        if present:
            issues.append(
                Issue(
                    IssueKind.FORBIDDEN_FIELD,
                    ensemble.name,
                    field,
                    f"ensemble '{ensemble.name}' sets `{field}`, which ensembles may not have",
                    f"remove `{field}` from the ensemble; set it on the step models instead",
                )
            )
    return issues


def _incomplete_steps(ensemble: ModelSig) -> list[Issue]:
    issues = []
    for i, step in enumerate(ensemble.steps or ()):
        missing = [
            field
            for field, empty in (
                ("model_name", not step.model_name),
                ("input_map", not step.input_map),
                ("output_map", not step.output_map),
            )
            if empty
        ]
        if missing:
            issues.append(
                Issue(
                    IssueKind.STEP_INCOMPLETE,
                    ensemble.name,
                    paths.step(i),
                    f"step {i} of ensemble '{ensemble.name}' has no {', '.join(missing)}",
                    "every step needs `model_name` and non-empty `input_map` and `output_map`",
                )
            )
    return issues


def _produced_twice(name: str, producers: dict[str, list[int]]) -> list[Issue]:
    issues = []
    for tensor, where in sorted(producers.items()):
        if len(where) > 1:
            issues.append(
                Issue(
                    IssueKind.PRODUCED_TWICE,
                    name,
                    paths.step(where[1]),
                    f"ensemble tensor '{tensor}' is written by steps {_join(where)} of '{name}'; "
                    "a tensor can appear in output maps only once",
                    f"give each step's output its own ensemble tensor name instead of '{tensor}'",
                )
            )
    return issues


def _connections(
    ensemble: ModelSig,
    producers: dict[str, list[int]],
    consumers: dict[str, list[int]],
    inputs: set[str],
    outputs: set[str],
) -> list[Issue]:
    name = ensemble.name
    issues = []
    for i, tensor in enumerate(t.name for t in ensemble.inputs):
        if tensor not in consumers:
            issues.append(
                Issue(
                    IssueKind.INPUT_UNUSED,
                    name,
                    paths.tensor("input", i),
                    f"ensemble input '{tensor}' of '{name}' is not read by any step",
                    f"map '{tensor}' in a step's input_map, or remove the input",
                )
            )
    for i, tensor in enumerate(t.name for t in ensemble.outputs):
        if tensor not in producers:
            issues.append(
                Issue(
                    IssueKind.OUTPUT_UNWRITTEN,
                    name,
                    paths.tensor("output", i),
                    f"ensemble output '{tensor}' of '{name}' is not written by any step",
                    f"map a step output to '{tensor}' in its output_map, or remove the output",
                )
            )
    for tensor, where in sorted(consumers.items()):
        if tensor not in producers and tensor not in inputs:
            step = where[0]
            issues.append(
                Issue(
                    IssueKind.NOT_PRODUCED,
                    name,
                    _map_path(ensemble, step, "input_map", tensor),
                    f"step {step} of '{name}' reads ensemble tensor '{tensor}', which is neither "
                    "an ensemble input nor written by any step",
                    _spelling_hint(tensor, set(producers) | inputs),
                )
            )
    for tensor, where in sorted(producers.items()):
        if tensor not in consumers and tensor not in outputs:
            issues.append(
                Issue(
                    IssueKind.TENSOR_UNUSED,
                    name,
                    _map_path(ensemble, where[0], "output_map", tensor),
                    f"ensemble tensor '{tensor}' written by step {where[0]} of '{name}' is never "
                    "read and is not an ensemble output",
                    _spelling_hint(tensor, set(consumers) | outputs, "declare it as an output"),
                )
            )
    return issues


def _cycles(ensemble: ModelSig, producers: dict[str, list[int]]) -> list[Issue]:
    """Kahn's algorithm over steps; steps never freed sit on (or behind) a data-flow cycle."""
    steps = ensemble.steps or ()
    depends: list[set[int]] = []
    for i, step in enumerate(steps):
        depends.append({p for _, t in step.input_map for p in producers.get(t, []) if p != i})
        if any(i in producers.get(t, []) for _, t in step.input_map):
            depends[i].add(i)
    done: set[int] = set()
    changed = True
    while changed:
        changed = False
        for i, deps in enumerate(depends):
            if i not in done and deps <= done and i not in deps:
                done.add(i)
                changed = True
    stuck = [i for i in range(len(steps)) if i not in done]
    if not stuck:
        return []
    return [
        Issue(
            IssueKind.DATA_CYCLE,
            ensemble.name,
            paths.step(stuck[0]),
            f"steps {_join(stuck)} of ensemble '{ensemble.name}' wait on each other's outputs "
            "(a data-flow cycle), so their outputs are never written",
            "break the cycle: a step may only read ensemble inputs or outputs of earlier steps",
        )
    ]


def _map_path(ensemble: ModelSig, index: int, field: str, tensor: str) -> str:
    step = (ensemble.steps or ())[index]
    pairs = step.input_map if field == "input_map" else step.output_map
    key = next((k for k, v in pairs if v == tensor), None)
    return paths.step_map(index, field, key) if key is not None else paths.step(index)


def _spelling_hint(tensor: str, known: set[str], alternative: str = "") -> str:
    close = sorted(k for k in known if k.lower() == tensor.lower() or _near(k, tensor))
    if close:
        return f"did you mean '{close[0]}'? Use the same ensemble tensor name on both sides"
    tail = f", or {alternative}" if alternative else ""
    return f"connect '{tensor}' to a producer and a consumer with matching names{tail}"


def _near(a: str, b: str) -> bool:
    """One edit apart (typo detection for hints only)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _join(indices: list[int]) -> str:
    return ", ".join(str(i) for i in indices)
