"""Where an ONNX model comes from: a .onnx file, a pickled scikit-learn estimator, or a factory.

Factory contract (``source: package.module:function``, importable from the project folder)::

    def make() -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]   # example inputs, batch first
    def make() -> tuple[sklearn estimator, numpy array (n_rows, n_features)]
    def make() -> torch.nn.Module        # only with onnx.example_inputs set in the project file

Example tensors give the export its shapes and dtypes; their batch size does not matter (a batch
of one is repeated to two, because torch.export treats a size-1 axis as fixed). A scikit-learn
sample gives parity realistic rows; without one (a .joblib file) parity draws normal noise.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from tritonops.builders.imports import import_closure
from tritonops.builders.onnx.failures import ONNX_EXTRA, TORCH_EXTRA, failing, require
from tritonops.errors import BuildError
from tritonops.spec.onnx_build import (
    SKLEARN_SUFFIXES,
    FactoryRef,
    OnnxBuild,
    find_module_file,
    parse_factory,
)
from tritonops.spec.sources import resolve


@dataclass(frozen=True)
class OnnxFile:
    path: Path


@dataclass(frozen=True)
class SklearnFile:
    path: Path


@dataclass(frozen=True)
class Factory:
    ref: FactoryRef
    # the module's file, found without importing it (None: not found yet; the build says so)
    file: Path | None


Source = OnnxFile | SklearnFile | Factory
Flavour = Literal["onnx", "torch", "sklearn", "factory"]
_EXTRAS = {"torch": TORCH_EXTRA, "onnxscript": TORCH_EXTRA, "sklearn": ONNX_EXTRA}


@dataclass(frozen=True)
class TorchSource:
    module: Any
    examples: tuple[Any, ...]


@dataclass(frozen=True)
class SklearnSource:
    estimator: Any
    sample: np.ndarray[Any, Any] | None


def classify(name: str, source: str | None, root: Path) -> Source:
    """The kind of source an ``onnx`` model names (the spec already checked its form)."""
    if source is None:
        raise BuildError(f"model {name!r} has no source — set source: to a .onnx file or a factory")
    ref = parse_factory(source)
    if ref is not None and not source.endswith((".onnx", *SKLEARN_SUFFIXES)):
        return Factory(ref, find_module_file(root, ref.module))
    path = resolve(root, source)
    if not path.is_file():
        raise BuildError(f"model {name!r}: source {str(path)!r} does not exist — fix the path")
    return SklearnFile(path) if source.endswith(SKLEARN_SUFFIXES) else OnnxFile(path)


def flavour(source: Source) -> Flavour:
    """What a source will turn out to be, guessed without importing anything (for plans)."""
    if isinstance(source, OnnxFile):
        return "onnx"
    if isinstance(source, SklearnFile):
        return "sklearn"
    if source.file is None:
        return "factory"
    try:
        tree = ast.parse(source.file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return "factory"
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            tops.add(node.module.split(".")[0])
    found = tops & {"torch", "sklearn"}
    if found == {"torch"}:
        return "torch"
    return "sklearn" if found == {"sklearn"} else "factory"


def source_files(source: Source, root: Path) -> list[Path]:
    """Every file whose bytes shape the artifact: the file, or what the factory's module imports.

    For a factory that is its module, the package ``__init__`` files importing it runs, and every
    project module it imports, transitively (``tritonops.builders.imports``) — not the whole
    package, so editing an unrelated module rebuilds nothing.
    """
    if not isinstance(source, Factory):
        return [source.path]
    if source.file is None:
        return []
    root = root.resolve()
    if not source.file.resolve().is_relative_to(root):
        return [source.file]  # an installed module: its package version is in the fingerprint
    return import_closure(root, source.ref.module)


@contextlib.contextmanager
def project_imports(root: Path, module: str | None = None) -> Iterator[None]:
    """Import from the project folder first, and leave ``sys.modules`` as it was found.

    A module of the same name cached from another project (or installed) is set aside while this
    one imports, then put back; modules imported from the project folder are dropped afterwards.
    """
    root = root.resolve()
    before = set(sys.modules)
    shadowed: dict[str, ModuleType] = {}
    if module is not None:
        top = module.split(".")[0]
        for name, mod in list(sys.modules.items()):
            if (name == top or name.startswith(top + ".")) and not _under(mod, root):
                shadowed[name] = sys.modules.pop(name)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(root))
        for name in set(sys.modules) - before:
            if _under(sys.modules[name], root):
                del sys.modules[name]
        sys.modules.update(shadowed)


def _under(module: ModuleType, root: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(root)


def load_factory(name: str, factory: Factory, opts: OnnxBuild) -> TorchSource | SklearnSource:
    """Import and call the factory (inside ``project_imports``); check what it returned."""
    where = f"factory {factory.ref}"
    with failing(name, f"importing {where}", "fix the module or the source path"):
        try:
            module = importlib.import_module(factory.ref.module)
        except ModuleNotFoundError as exc:
            install = _EXTRAS.get((exc.name or "").split(".")[0])
            if install is None:
                raise
            raise BuildError(
                f"model {name!r}: {where} needs {exc.name!r}, not installed — {install}"
            ) from exc
    target = getattr(module, factory.ref.attr, None)
    if not callable(target):
        raise BuildError(
            f"model {name!r}: module {factory.ref.module!r} has no function {factory.ref.attr!r}"
            " — define it or fix the source"
        )
    with failing(name, f"calling {where}", "make it run without arguments"), _one_thread():
        result = target()
    obj, sample = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return TorchSource(obj, _torch_examples(name, where, sample, opts))
    if hasattr(obj, "fit") and (hasattr(obj, "predict") or hasattr(obj, "transform")):
        return SklearnSource(obj, _sklearn_sample(name, where, sample))
    raise BuildError(
        f"model {name!r}: {where} returned {type(result).__name__}, expected"
        " (torch.nn.Module, example_inputs) or (scikit-learn estimator, X_sample)"
        " — return one of those pairs"
    )


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Run a factory with one BLAS/OpenMP thread, so a rebuild reproduces the same bytes.

    Threaded BLAS sums in an order that depends on the thread count: the quickstart's logistic
    regression converged to coefficients ~1e-2 apart with 1 and 2 OpenBLAS threads, which changes
    model.onnx and so its digest. Training in a factory is small by design; reproducible artifacts
    are worth more than its speed. threadpoolctl comes with scikit-learn; without it (a torch-only
    environment) the factory runs as the environment sets it.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def load_estimator(name: str, path: Path) -> SklearnSource:
    """A pickled estimator; unpickling runs code, so only point source at files you trust."""
    require("sklearn", name, ONNX_EXTRA)
    import joblib

    with failing(name, f"loading {path.name}", "save it with joblib.dump(estimator, path)"):
        estimator = joblib.load(path)
    if not (hasattr(estimator, "predict") or hasattr(estimator, "transform")):
        raise BuildError(
            f"model {name!r}: {path.name} holds a {type(estimator).__name__}, not a scikit-learn"
            " estimator — dump the fitted estimator itself"
        )
    return SklearnSource(estimator, None)


def _torch_examples(name: str, where: str, sample: Any, opts: OnnxBuild) -> tuple[Any, ...]:
    import torch

    if sample is None:
        if not opts.example_inputs:
            raise BuildError(
                f"model {name!r}: {where} returned a module without example inputs"
                " — return (module, example_inputs) or set onnx.example_inputs"
            )
        generator = torch.Generator().manual_seed(0)
        tensors = []
        for spec in opts.example_inputs:
            dtype = spec.data_type.numpy
            if dtype is None or dtype.kind not in "fiub":
                raise BuildError(
                    f"model {name!r}: example input type {spec.data_type} has no torch tensor"
                    " — use a numeric type or return example inputs from the factory"
                )
            values = torch.rand(spec.shape, generator=generator)
            tensors.append(torch.from_numpy(values.numpy().astype(dtype)))
        return tuple(tensors)
    if opts.example_inputs:
        raise BuildError(
            f"model {name!r}: {where} returned example inputs and onnx.example_inputs is set"
            " — remove one of them"
        )
    examples = (sample,) if isinstance(sample, torch.Tensor) else sample
    if not isinstance(examples, tuple | list) or not all(
        isinstance(t, torch.Tensor) for t in examples
    ):
        raise BuildError(
            f"model {name!r}: {where} returned example inputs of type {type(sample).__name__}"
            " — return a tensor or a tuple of tensors, batch axis first"
        )
    return tuple(examples)


def _sklearn_sample(name: str, where: str, sample: Any) -> np.ndarray[Any, Any] | None:
    if sample is None:
        return None
    array = np.asarray(sample, dtype=np.float32)
    if array.ndim != 2 or array.shape[0] == 0:
        raise BuildError(
            f"model {name!r}: {where} returned an X_sample of shape {array.shape}"
            " — return a 2-D array (rows, features)"
        )
    return array


def require_torch(name: str) -> None:
    """BuildError unless torch and its ONNX exporter's onnxscript are installed."""
    require("torch", name, TORCH_EXTRA)
    require("onnxscript", name, TORCH_EXTRA)
