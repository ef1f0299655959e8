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
from pathlib import Path

from tritonops import __version__
from tritonops.errors import ServerError
from tritonops.server.binary import TritonInstall

_OWN_BACKENDS = Path(__file__).resolve().parent / "backends"
# the LLM stand-in backends run the tiny engine: its modules (numpy and stdlib only) are copied
# into each of their folders, which the python backend stub puts on sys.path
_LLM_MODULES = Path(__file__).resolve().parent.parent / "llm"
_LLM_BACKENDS = ("tensorrtllm", "vllm")


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
