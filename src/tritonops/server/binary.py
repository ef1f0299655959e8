"""Find a ``tritonserver`` and the pieces it needs (library path, python backend, stubs)."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from tritonops.errors import ServerError

INSTALL_HINT = (
    "install the embedded server with `pip install 'tritonops[local]'` (it ships Triton 2.51 in "
    "the nvidia-pytriton wheel), or name a tritonserver with --tritonserver / $TRITONSERVER"
)


@dataclass(frozen=True)
class TritonInstall:
    """A tritonserver binary and what starting it needs."""

    binary: Path
    # folders that must be on LD_LIBRARY_PATH for the binary and the python backend stub
    library_dirs: tuple[Path, ...] = ()
    # Triton's python backend (libtriton_python.so) and the per-Python stubs, when known
    python_backend: Path | None = None
    stubs: Path | None = None
    caches: Path | None = None

    def stub_for_running_python(self) -> Path | None:
        if self.stubs is None:
            return None
        stub = self.stubs / f"{sys.version_info.major}.{sys.version_info.minor}"
        stub = stub / "triton_python_backend_stub"
        return stub if stub.is_file() else None


def _pytriton_install() -> TritonInstall | None:
    try:
        import pytriton  # the optional `local` extra
    except ImportError:
        return None
    root = Path(pytriton.__file__).resolve().parent / "tritonserver"
    binary = root / "bin" / "tritonserver"
    if not binary.is_file():
        return None
    libs = root.parent.parent / "nvidia_pytriton.libs"
    return TritonInstall(
        binary=binary,
        library_dirs=tuple(p for p in (libs,) if p.is_dir()),
        python_backend=root / "backends" / "python",
        stubs=root / "python_backend_stubs",
        caches=root / "caches",
    )


def find_tritonserver(explicit: Path | str | None = None) -> TritonInstall:
    """An explicit path, then ``$TRITONSERVER``, then PATH, then the nvidia-pytriton wheel."""
    bundled = _pytriton_install()
    named = explicit or os.environ.get("TRITONSERVER")
    if named:
        path = Path(named).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ServerError(
                f"tritonserver not found or not executable at {path} — {INSTALL_HINT}"
            )
        return _beside(path, bundled)
    on_path = shutil.which("tritonserver")
    if on_path:
        return _beside(Path(on_path), bundled)
    if bundled is not None:
        return bundled
    raise ServerError(f"no tritonserver found — {INSTALL_HINT}")


def _beside(binary: Path, bundled: TritonInstall | None) -> TritonInstall:
    """A tritonserver outside the wheel: use its own backends folder when it has one."""
    root = binary.resolve().parent.parent
    backends = root / "backends" / "python"
    if backends.is_dir():
        return TritonInstall(binary=binary, python_backend=backends, caches=root / "caches")
    if bundled is not None and bundled.binary.resolve() == binary.resolve():
        return bundled
    return TritonInstall(binary=binary)


def python_library_dir() -> Path | None:
    """The running interpreter's LIBDIR: the stub must load THIS libpython, not the system's."""
    libdir = sysconfig.get_config_var("LIBDIR")
    return Path(libdir) if libdir else None
