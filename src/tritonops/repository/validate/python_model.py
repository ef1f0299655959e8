"""model.py of a python-backend model, read statically (never imported or run).

Only literal tensor names are trusted: a model.py that builds names at run time, or that sends BLS
requests (whose tensors belong to other models), is not compared with the config.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.safe_read import read_source


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
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    guarded = _none_checked(tree)
    for node in ast.walk(tree):
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
    parent = parents.get(call)
    if isinstance(parent, ast.Attribute):  # get_input_tensor_by_name(...).as_numpy()
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        return isinstance(target, ast.Name) and target.id not in guarded
    return False  # passed on or stored elsewhere: cannot tell


def _none_checked(tree: ast.AST) -> set[str]:
    """Names compared with None (``x is None``, ``x != None``) or tested for truth (``if x:``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
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


def model_py(folder: ModelFolder) -> Path | None:
    """The model.py of the newest served (else newest present) version, if there is one."""
    versions = folder.selected or sorted(folder.versions)
    if not versions:
        return None
    name = "model.py"
    if folder.config is not None and folder.config.default_model_filename:
        name = folder.config.default_model_filename
    path = folder.path / folder.versions[max(versions)] / name
    return path if path.is_file() else None


def check_python_model(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.backend != "python" or config.runtime:
        return
    path = model_py(folder)
    if path is None:
        return  # a missing file is a layout error
    rel = path.relative_to(folder.root).as_posix()
    try:
        tree = ast.parse(read_source(path), filename=rel)
    except SyntaxError as exc:
        folder.report(
            "TRITON-P003",
            f"{rel} is not valid Python: {exc.msg}",
            "fix the syntax; the python stub cannot import the model and the load fails",
            file=rel,
            line=exc.lineno,
        )
        return
    except (OSError, ValueError):
        return
    source = _scan(tree)
    inputs = {t.name for t in config.input}
    outputs = {t.name for t in config.output}
    if not inputs and not outputs:
        if source.auto_complete:
            return  # auto_complete_config declares them; nothing to compare with
        folder.report(
            "TRITON-S007",
            f"python model '{folder.name}' declares no inputs or outputs and model.py has no "
            "auto_complete_config; it loads with none and rejects every tensor",
            "declare the inputs and outputs in config.pbtxt",
            path="name",
        )
    _compare(folder, rel, source, inputs, outputs)


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
    try:
        source = _scan(ast.parse(read_source(path)))
    except (OSError, SyntaxError, ValueError):
        return set(), set()
    return source.read, source.emitted


def defines_auto_complete(path: Path) -> bool:
    try:
        return _scan(ast.parse(read_source(path))).auto_complete
    except (OSError, SyntaxError, ValueError):
        return False
