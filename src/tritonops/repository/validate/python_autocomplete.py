"""What a python model's ``auto_complete_config`` adds to config.pbtxt, read statically.

The python backend calls ``TritonPythonModel.auto_complete_config(auto_complete_model_config)`` at
load time, on every config (partial or absent), and uses the object it returns. Its ModelConfig
helper (python_backend ``src/resources/triton_python_backend_utils.py``, class ``ModelConfig``)
enforces these rules, each of which fails the load with a ValueError:

- ``add_input(d)``: ``d`` has only ``name``, ``data_type``, ``dims``, ``optional``; it must have the
  first three; an input of the same name already in the config must agree on ``data_type`` (unless
  TYPE_INVALID there), on ``dims`` (unless empty there) and on ``optional`` (when both set).
- ``add_output(d)``: the same with ``name``, ``data_type``, ``dims`` only.
- ``set_max_batch_size(n)``: fails when the config's max_batch_size is larger than ``n``.
- ``set_dynamic_batching()``: fails when the config uses sequence_batching or ensemble_scheduling.
- ``set_model_transaction_policy(d)``: ``d`` has only ``decoupled``, which must not contradict
  the config's.

The stub then serialises what the function returned, so a function that returns nothing fails the
load too. Only literal values are followed (dicts, lists, names bound to them, ``for`` loops over
literal lists); anything else makes the result ``known = False`` and no conclusion is drawn.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

_INPUT_KEYS = ("name", "data_type", "dims", "optional")
_OUTPUT_KEYS = ("name", "data_type", "dims")
_METHODS = {
    "add_input",
    "add_output",
    "set_max_batch_size",
    "set_dynamic_batching",
    "set_model_transaction_policy",
}


@dataclass(frozen=True)
class Misuse:
    """A call the python backend's ModelConfig helper rejects at load time."""

    line: int
    message: str
    hint: str


@dataclass
class PythonCompletion:
    """The literal effect of ``auto_complete_config``; ``known`` is False when not followable."""

    inputs: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, tensor dict)
    outputs: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    max_batch_size: list[tuple[int, int]] = field(default_factory=list)
    dynamic_batching_line: int | None = None
    decoupled: tuple[int, bool] | None = None
    returns: bool = True
    known: bool = True
    misuse: list[Misuse] = field(default_factory=list)

    @property
    def input_names(self) -> set[str]:
        return {str(t["name"]) for _, t in self.inputs if "name" in t}

    @property
    def output_names(self) -> set[str]:
        return {str(t["name"]) for _, t in self.outputs if "name" in t}


def find_auto_complete(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """``auto_complete_config`` of class TritonPythonModel (else of any module-level class)."""
    fallback = None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                item.name == "auto_complete_config"
            ):
                if node.name == "TritonPythonModel":
                    return item
                fallback = fallback or item
    return fallback


def read_completion(func: ast.FunctionDef | ast.AsyncFunctionDef) -> PythonCompletion:
    """Follow the body of ``auto_complete_config`` literally; see the module docstring."""
    result = PythonCompletion()
    params = [a.arg for a in (*func.args.posonlyargs, *func.args.args)]
    if params and not _only_known_uses(func, params[-1]):
        result.known = False  # the config object escapes (helper call, getattr, as_dict()...)
    result.returns = any(
        isinstance(n, ast.Return) and n.value is not None and not _is_none(n.value)
        for n in ast.walk(func)
    )
    _Walker(result).block(func.body, {})
    return result


def _only_known_uses(func: ast.AST, param: str) -> bool:
    """Is ``param`` used only as ``param.<ModelConfig method>(...)`` or ``return param``?"""
    parents = {child: node for node in ast.walk(func) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(func):
        if not (isinstance(node, ast.Name) and node.id == param):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Return):
            continue
        if isinstance(parent, ast.Attribute) and parent.attr in _METHODS:
            call = parents.get(parent)
            if isinstance(call, ast.Call) and call.func is parent:
                continue
        return False
    return True


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


class _Walker:
    def __init__(self, result: PythonCompletion) -> None:
        self.result = result

    def block(self, body: list[ast.stmt], env: dict[str, Any]) -> None:
        for stmt in body:
            self.stmt(stmt, env)

    def stmt(self, stmt: ast.stmt, env: dict[str, Any]) -> None:
        if isinstance(stmt, ast.Assign):
            value = _literal(stmt.value, env)
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    if value is _UNKNOWN:
                        env.pop(target.id, None)
                    else:
                        env[target.id] = value
            self.calls_in(stmt.value, env)
        elif isinstance(stmt, ast.Expr):
            self.calls_in(stmt.value, env)
        elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name):
            items = _literal(stmt.iter, env)
            if isinstance(items, list | tuple):
                for item in items:
                    self.block(stmt.body, {**env, stmt.target.id: item})
            elif _has_call(stmt, _METHODS):
                self.result.known = False
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.calls_in(stmt.value, env)
        elif _has_call(stmt, _METHODS):
            # a branch, a loop we cannot unroll, a try: the effect depends on run time
            self.result.known = False

    def calls_in(self, node: ast.AST, env: dict[str, Any]) -> None:
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in _METHODS:
                self.call(func.attr, sub, env)

    def call(self, method: str, call: ast.Call, env: dict[str, Any]) -> None:
        result = self.result
        line = call.lineno
        if method == "set_dynamic_batching":
            result.dynamic_batching_line = line
            return
        arg = _literal(call.args[0], env) if call.args else _UNKNOWN
        if arg is _UNKNOWN:
            result.known = False
            return
        if method == "set_max_batch_size":
            if isinstance(arg, int) and not isinstance(arg, bool):
                result.max_batch_size.append((line, arg))
            else:
                result.known = False
        elif method == "set_model_transaction_policy":
            if not isinstance(arg, dict):
                result.known = False
                return
            extra = sorted(str(k) for k in arg if k != "decoupled")
            if extra:
                result.misuse.append(
                    Misuse(
                        line,
                        f"set_model_transaction_policy gets property '{extra[0]}'; only "
                        "'decoupled' is allowed",
                        "pass only {'decoupled': True/False}",
                    )
                )
            if "decoupled" in arg:
                result.decoupled = (line, bool(arg["decoupled"]))
        else:
            self.tensor(method, arg, line)

    def tensor(self, method: str, arg: Any, line: int) -> None:
        kind = "input" if method == "add_input" else "output"
        allowed = _INPUT_KEYS if kind == "input" else _OUTPUT_KEYS
        if not isinstance(arg, dict):
            self.result.known = False
            return
        label = f"{kind} '{arg['name']}'" if "name" in arg else f"an {kind}"
        extra = sorted(str(k) for k in arg if k not in allowed)
        if extra:
            self.result.misuse.append(
                Misuse(
                    line,
                    f"{method} gets {label} with property '{extra[0]}'; the python backend "
                    f"accepts only {', '.join(allowed)}",
                    f"remove '{extra[0]}' from the dict",
                )
            )
        missing = [k for k in ("name", "data_type", "dims") if k not in arg]
        if missing:
            self.result.misuse.append(
                Misuse(
                    line,
                    f"{method} gets {label} without '{missing[0]}'; the python backend "
                    "requires name, data_type and dims",
                    f"add '{missing[0]}' to the dict",
                )
            )
            return
        (self.result.inputs if kind == "input" else self.result.outputs).append((line, arg))


class _Unknown:
    pass


_UNKNOWN: Any = _Unknown()


def _literal(node: ast.AST, env: dict[str, Any]) -> Any:
    """The value of a literal expression (names resolved through ``env``), else _UNKNOWN."""
    if isinstance(node, ast.Name):
        return env.get(node.id, _UNKNOWN)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand, env)
        return -value if isinstance(value, int | float) else _UNKNOWN
    if isinstance(node, ast.List | ast.Tuple):
        items = [_literal(e, env) for e in node.elts]
        if any(i is _UNKNOWN for i in items):
            return _UNKNOWN
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                return _UNKNOWN  # **spread
            k, v = _literal(key, env), _literal(value, env)
            if k is _UNKNOWN or v is _UNKNOWN:
                return _UNKNOWN
            out[k] = v
        return out
    if isinstance(node, ast.Call) and _callee(node) == "dict" and not node.args:
        out = {}
        for kw in node.keywords:
            value = _literal(kw.value, env)
            if kw.arg is None or value is _UNKNOWN:
                return _UNKNOWN
            out[kw.arg] = value
        return out
    return _UNKNOWN


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else ""


def _has_call(node: ast.AST, names: set[str]) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in names
        for n in ast.walk(node)
    )
