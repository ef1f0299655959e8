"""The onnxruntime stand-in's contract (``server/backends/onnxruntime/ort_contract.py``), for the
static checks: one source of truth for what the onnxruntime backend refuses at load.

That file is not an importable module of tritonops: Triton's python backend stub loads it as a
top-level module beside the stand-in's model.py, and ``tritonops.server.backends`` is a module
(the backend-directory setup), not a package. So it is loaded here from its path, once, and the
rules the validator uses are re-exported with their types.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import cast

_PATH = (
    Path(__file__).resolve().parents[2] / "server" / "backends" / "onnxruntime" / "ort_contract.py"
)
_NAME = "tritonops_ort_contract"


def _load() -> ModuleType:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with tritonops
        raise ImportError(f"cannot load the onnxruntime stand-in's contract from {_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


_CONTRACT = _load()
GPU_CHOICES = cast(dict[str, tuple[str, ...]], _CONTRACT.GPU_CHOICES)
BOOL_PARAMETERS = cast(tuple[str, ...], _CONTRACT.BOOL_PARAMETERS)


def unsupported_io(name: str, ort_type: str) -> str | None:
    """The backend's refusal of a graph input or output that is not a tensor; None for a tensor."""
    return cast(str | None, _CONTRACT.unsupported_io(name, ort_type))


def accelerator_problems(
    cpu: Sequence[tuple[str, Mapping[str, str]]],
    gpu: Sequence[tuple[str, Mapping[str, str]]] | None,
) -> list[tuple[str, str, str]]:
    """``(where, what, the backend's error)`` for each execution accelerator that fails the load
    (``gpu`` None: no GPU instance, which is the only kind that reads the GPU ones)."""
    return cast(list[tuple[str, str, str]], _CONTRACT.accelerator_problems(cpu, gpu))


def shown(text: str, limit: int = 60) -> str:
    """A value as the contract's messages quote it: escaped and cut when long or unprintable."""
    return cast(str, _CONTRACT.shown(text, limit))


def parameter_problems(params: Mapping[str, str], *, gpu: bool) -> list[tuple[str, str]]:
    """``(key, the backend's error)`` for each parameter that fails the load (GPU instances
    also read the CUDA options)."""
    return cast(list[tuple[str, str]], _CONTRACT.parameter_problems(params, gpu=gpu))
