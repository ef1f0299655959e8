"""model.py of a python-backend model, read statically (never imported or run).

Only literal tensor names are trusted: a model.py that builds names at run time, or that sends BLS
requests (whose tensors belong to other models), is not compared with the config.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.python_checks import (
    NOT_CHECKED,
    check_completion,
    model_py,
    parse_source,
    parsed_model,
    python_completion,
    supplied_inputs,
    supplied_outputs,
)

__all__ = ["check_python_model", "defines_auto_complete", "model_py", "tensor_names"]


@dataclass
class _Source:
    emitted: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    # inputs whose tensor is used straight away (``.as_numpy()``) or kept in a variable that is
    # never compared with None: an undeclared one fails every request
    unguarded: set[str] = field(default_factory=set)
    dynamic_names: bool = False
    bls: bool = False
    auto_complete: bool = False


def _scan(tree: ast.AST) -> _Source:
    found = _Source()
    # one traversal: every node, and each node's parent (the checks below need both)
    parents: dict[ast.AST, ast.AST] = {}
    nodes = [tree]
    for node in nodes:  # grows while iterated: breadth-first
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            nodes.append(child)
    guarded = _none_checked(nodes)
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.auto_complete |= node.name == "auto_complete_config"
        if isinstance(node, ast.Name | ast.Attribute) and _name(node) == "InferenceRequest":
            found.bls = True
        if not isinstance(node, ast.Call):
            continue
        callee = _name(node.func)
        if callee in ("Tensor", "from_dlpack") and node.args:
            if callee == "from_dlpack" and not _is_tensor_owner(node.func):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.emitted.add(first.value)
            else:
                found.dynamic_names = True
        elif callee == "get_input_tensor_by_name" and len(node.args) >= 2:
            second = node.args[1]
            if isinstance(second, ast.Constant) and isinstance(second.value, str):
                found.read.add(second.value)
                if _used_unchecked(node, parents, guarded):
                    found.unguarded.add(second.value)
    return found


def _used_unchecked(call: ast.Call, parents: dict[ast.AST, ast.AST], guarded: set[str]) -> bool:
    if _in_branch(call, parents):
        return False  # e.g. only the non-decoupled path: not every request runs it
    parent = parents.get(call)
    if isinstance(parent, ast.Attribute):  # get_input_tensor_by_name(...).as_numpy()
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        return isinstance(target, ast.Name) and target.id not in guarded
    return False  # passed on or stored elsewhere: cannot tell


def _in_branch(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Is ``node`` under an ``if``/``match``/conditional expression inside its function?"""
    child, parent = node, parents.get(node)
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
        if isinstance(parent, ast.If | ast.IfExp) and child is not parent.test:
            return True
        if isinstance(parent, ast.match_case | ast.ExceptHandler):
            return True
        child, parent = parent, parents.get(parent)
    return False


def _none_checked(nodes: list[ast.AST]) -> set[str]:
    """Names compared with None (``x is None``, ``x != None``) or tested for truth (``if x:``)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
                names.update(o.id for o in operands if isinstance(o, ast.Name))
        elif isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert):
            test = node.test
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                test = test.operand
            if isinstance(test, ast.Name):
                names.add(test.id)
        elif isinstance(node, ast.BoolOp):
            names.update(v.id for v in node.values if isinstance(v, ast.Name))
    return names


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_tensor_owner(func: ast.AST) -> bool:
    return isinstance(func, ast.Attribute) and _name(func.value) == "Tensor"


def check_python_model(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.backend != "python" or config.runtime:
        return
    parsed = parsed_model(folder)
    if parsed is None:
        return  # a missing file is a layout error
    path, tree = parsed
    rel = path.relative_to(folder.root).as_posix()
    if isinstance(tree, str):
        if tree.endswith(NOT_CHECKED):
            return
        line = int(tree.split(":")[0][5:]) if tree.startswith("line ") else None
        folder.report(
            "TRITON-P003",
            f"{rel} is not valid Python ({tree})",
            "fix the syntax; the python stub cannot import the model and the load fails",
            file=rel,
            line=line,
        )
        return
    if not _defines_model_class(tree):
        folder.report(
            "TRITON-P005",
            f"{rel} defines no class TritonPythonModel; the python backend imports that class "
            "from model.py and the load fails",
            "define `class TritonPythonModel:` with `execute(self, requests)` in model.py",
            file=rel,
            line=1,
        )
        return
    source = _scan(tree)
    completion = python_completion(folder)
    if completion is not None:
        if check_completion(folder, rel, completion):
            return  # the load fails in auto_complete_config already
        if not completion.known:
            return  # tensors added at run time: nothing sound to compare with
    inputs = {t.name for t in config.input} | supplied_inputs(config)
    outputs = {t.name for t in config.output} | supplied_outputs(config)
    if completion is not None:
        inputs |= completion.input_names
        outputs |= completion.output_names
    if not config.input and not config.output and completion is None:
        folder.report(
            "TRITON-S007",
            f"python model '{folder.name}' declares no inputs or outputs and model.py has no "
            "auto_complete_config; it loads with none and rejects every tensor",
            "declare the inputs and outputs in config.pbtxt",
            path="name",
        )
    _compare(folder, rel, source, inputs, outputs)


def _defines_model_class(tree: ast.Module) -> bool:
    """TritonPythonModel bound at module level (class, assignment or import), or a star import."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "TritonPythonModel":
            return True
        if isinstance(node, ast.Name) and node.id == "TritonPythonModel":
            return True
        if isinstance(node, ast.ImportFrom) and any(
            a.name == "*" or (a.asname or a.name) == "TritonPythonModel" for a in node.names
        ):
            return True
    return False


def _compare(
    folder: ModelFolder, rel: str, source: _Source, inputs: set[str], outputs: set[str]
) -> None:
    declared_in = ", ".join(sorted(inputs)) or "none"
    if not source.dynamic_names and not source.bls:
        for name in sorted(source.emitted - outputs):
            folder.report(
                "TRITON-P001",
                f"{rel} returns output '{name}', which {folder.config_file} does not declare "
                f"(declared: {', '.join(sorted(outputs)) or 'none'}); Triton drops or rejects it",
                f"rename the output in config.pbtxt or in model.py so both say '{name}' "
                "or the declared name",
                path="output",
            )
    for name in sorted(source.read - inputs):
        if name in source.unguarded:
            folder.report(
                "TRITON-P004",
                f"{rel} reads input '{name}', which {folder.config_file} does not declare "
                f"(declared: {declared_in}), and uses it without a None check; every request "
                "fails (AttributeError: 'NoneType' object has no attribute 'as_numpy')",
                f"declare '{name}' in config.pbtxt or read one of the declared inputs",
                path="input",
            )
        else:
            folder.report(
                "TRITON-P002",
                f"{rel} reads input '{name}', which {folder.config_file} does not declare "
                f"(declared: {declared_in}); it will always get None",
                "use the same input name in config.pbtxt and model.py",
                path="input",
            )


def tensor_names(path: Path) -> tuple[set[str], set[str]]:
    """Literal input names model.py reads and output names it emits ((), () if unreadable)."""
    tree = parse_source(path) if path.is_file() else "absent"
    if isinstance(tree, str):
        return set(), set()
    source = _scan(tree)
    return source.read, source.emitted


def defines_auto_complete(path: Path) -> bool:
    tree = parse_source(path) if path.is_file() else "absent"
    return not isinstance(tree, str) and _scan(tree).auto_complete
