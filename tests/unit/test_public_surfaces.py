"""Each package's public surface is its ``__init__``'s ``__all__``, and the CLI stays on it.

The CLI is the library's first user: a name it imports is public (listed in its package's
``__all__``, wherever the CLI imports it from) or sits in ``CLI_EXCEPTIONS`` with the reason.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tritonops"
PACKAGES = (
    "abtest",
    "builders",
    "client",
    "deploy",
    "llm",
    "monitoring",
    "perf",
    "repository",
    "spec",
)

# (module, name) the CLI may import although it is no package's public name, and why
CLI_EXCEPTIONS = {
    ("tritonops.abtest.endpoint", "DEFAULT_GRPC"): "the address the ab-test help text names",
    ("tritonops.abtest.llm", "llm_experiment"): "how the command picks the LLM runner",
    ("tritonops.abtest.ramp", "state_path"): "where the command says a ramp's state is",
    ("tritonops.perf.result_files", "markdown"): "the summary perf prints (one name, two reports)",
    ("tritonops.perf.llm_metrics", "markdown"): "the summary perf prints (one name, two reports)",
    ("tritonops.perf.tune", "FINALISTS"): "perf tune's planning steps, printed by the command",
    ("tritonops.perf.tune", "LevelStats"): "perf tune's planning steps, printed by the command",
    ("tritonops.perf.tune", "load_levels"): "perf tune's planning steps, printed by the command",
    ("tritonops.perf.tune", "plan"): "perf tune's planning steps, printed by the command",
    ("tritonops.repository.validate.report", "summary"): "the one-line verdict validate prints",
}


def _package_all(package: str) -> list[str]:
    names = getattr(importlib.import_module(f"tritonops.{package}"), "__all__", None)
    assert isinstance(names, list), f"tritonops.{package} has no __all__ list"
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_exists_once(package: str) -> None:
    module = importlib.import_module(f"tritonops.{package}")
    names = _package_all(package)
    assert len(names) == len(set(names)), f"tritonops.{package}.__all__ repeats a name"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"tritonops.{package}.__all__ names what it lacks: {missing}"


@pytest.mark.parametrize("package", PACKAGES)
def test_init_holds_only_the_surface(package: str) -> None:
    """Logic lives in modules named for it; ``__getattr__`` (a lazy import) is the exception."""
    tree = ast.parse((SRC / package / "__init__.py").read_text(encoding="utf-8"))
    defined = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.name != "__getattr__"
    ]
    assert not defined, f"tritonops/{package}/__init__.py defines {defined}"


def _cli_imports() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in (SRC / "cli").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] == "tritonops" and len(parts) > 1 and parts[1] in PACKAGES:
                    found.update((node.module, alias.name) for alias in node.names)
    return found


def test_the_cli_imports_only_public_names() -> None:
    imports = _cli_imports()
    assert imports, "found no CLI imports: the scan is broken"
    private = sorted(
        f"{module}.{name}"
        for module, name in imports
        if name not in _package_all(module.split(".")[1]) and (module, name) not in CLI_EXCEPTIONS
    )
    assert not private, (
        "the CLI imports names no package exports; add them to the package's __all__ or, with "
        f"a reason, to CLI_EXCEPTIONS: {private}"
    )


def test_every_exception_is_still_needed() -> None:
    stale = sorted(set(CLI_EXCEPTIONS) - _cli_imports())
    assert not stale, f"CLI_EXCEPTIONS lists imports the CLI no longer has: {stale}"
