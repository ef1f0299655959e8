"""The backend directory the embedded server runs with, prepared once per install in a cache.

It holds Triton's python backend with the stub built for the running Python, and tritonops's own
python-based backends (``onnxruntime``, and the LLM stand-ins ``tensorrtllm``/``vllm``), so
``backend: "onnxruntime"`` configs serve unchanged here while a production Triton's C++
onnxruntime backend takes the same config.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tritonops import __version__
from tritonops.errors import ServerError
from tritonops.server.binary import TritonInstall

_OWN_BACKENDS = Path(__file__).resolve().parent / "backends"
# the LLM stand-in backends run the tiny engine: its modules (numpy and stdlib only) are copied
# into each of their folders, which the python backend stub puts on sys.path
_LLM_MODULES = Path(__file__).resolve().parent.parent / "llm"
_LLM_BACKENDS = ("tensorrtllm", "vllm")
# the backends whose stubs run on the python backend, each reading its own --backend-config
PYTHON_BASED = ("python", "onnxruntime", *_LLM_BACKENDS)


def cache_root() -> Path:
    explicit = os.environ.get("TRITONOPS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tritonops"


def _fingerprint(install: TritonInstall) -> str:
    digest = hashlib.sha256()
    digest.update(str(install.binary.resolve()).encode())
    digest.update(sys.version.encode())
    digest.update(__version__.encode())
    for source in sorted([*_OWN_BACKENDS.rglob("*.py"), *_LLM_MODULES.glob("*.py")]):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def prepare_backend_dir(install: TritonInstall, root: Path | None = None) -> Path:
    """Return a ready backend directory, building it atomically on first use."""
    target = (root or cache_root()) / "backends" / _fingerprint(install)
    if target.is_dir():
        return target
    if install.python_backend is None or not install.python_backend.is_dir():
        raise ServerError(
            f"{install.binary} has no python backend beside it — name a Triton install that has "
            "backends/python, or use the embedded server (`pip install 'tritonops[local]'`)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        python_dir = staging / "python"
        shutil.copytree(
            install.python_backend, python_dir, ignore=shutil.ignore_patterns("__pycache__")
        )
        stub = install.stub_for_running_python()
        if install.stubs is not None:
            if stub is None:
                version = f"{sys.version_info.major}.{sys.version_info.minor}"
                raise ServerError(
                    f"the python backend has no stub for Python {version} in {install.stubs} — "
                    "run tritonops with a Python the bundled server supports (3.8 to 3.13)"
                )
            shutil.copy2(stub, python_dir / "triton_python_backend_stub")
        for backend in sorted(p for p in _OWN_BACKENDS.iterdir() if p.is_dir()):
            if (backend / "model.py").is_file():
                shutil.copytree(
                    backend, staging / backend.name, ignore=shutil.ignore_patterns("__pycache__")
                )
                if backend.name in _LLM_BACKENDS:
                    for module in _LLM_MODULES.glob("*.py"):
                        if module.name != "__init__.py":
                            shutil.copy2(module, staging / backend.name / module.name)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another process won the race only if target now exists
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


# The python backend does not pass its backend config to a python-based backend's model.py, so
# the launcher hands the stand-ins what the C++ backend of the same name would read, through the
# environment the stub inherits (checked on the embedded 2.51 server).
ORT_DEFAULT_MAX_BATCH_SIZE_ENV = "TRITONOPS_ORT_DEFAULT_MAX_BATCH_SIZE"


def backend_settings(argv: Sequence[str], backend: str) -> dict[str, str]:
    """The ``--backend-config`` settings tritonserver resolves for ``backend``.

    Sources: server src/command_line_parser.cc ParseBackendConfigOption (``<backend>,<setting>=
    <value>`` for one backend, ``<setting>=<value>`` for all, text before the first comma naming
    the backend) and core src/backend_model.cc ResolveBackendConfigs (global settings first, the
    backend's own override them) and SetBackendConfigDefaults (default-max-batch-size is 4).
    """
    values: list[str] = []
    args = list(argv)
    for index, arg in enumerate(args):
        if arg.startswith("--backend-config="):
            values.append(arg.split("=", 1)[1])
        elif arg == "--backend-config" and index + 1 < len(args):
            values.append(args[index + 1])
    global_settings: dict[str, str] = {}
    own: dict[str, str] = {}
    for value in values:
        comma = value.find(",")
        name, rest = (value[:comma], value[comma + 1 :]) if comma > 0 else ("", value)
        setting, sep, setting_value = rest.partition("=")
        if not sep:
            continue  # tritonserver itself refuses the option at start-up, with its own message
        if name == "":
            global_settings[setting] = setting_value
        elif name == backend:
            own[setting] = setting_value
    return {"default-max-batch-size": "4", **global_settings, **own}


def stand_in_environment(argv: Sequence[str]) -> dict[str, str]:
    """Environment variables that carry the server's backend config to the stand-in backends."""
    settings = backend_settings(argv, "onnxruntime")
    return {ORT_DEFAULT_MAX_BATCH_SIZE_ENV: settings["default-max-batch-size"]}
