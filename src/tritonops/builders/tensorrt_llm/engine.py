"""Running the engine build through the installed TensorRT-LLM: the one subprocess boundary.

Before anything runs, ``require_environment`` says exactly what is missing (the package, the
example scripts, GPUs for the world size); a failing step becomes a ``BuildError`` carrying the
tool's last stderr lines. No shell: every step is an argv list.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tritonops.errors import BuildError

PACKAGE = "tensorrt_llm"
_TAIL_LINES = 25
DRY_RUN_HINT = "`tritonops build --dry-run` still prints the plan and renders the repository"


def package_version() -> str | None:
    """The installed tensorrt_llm version, without importing it (that initialises CUDA and MPI)."""
    if importlib.util.find_spec(PACKAGE) is None:
        return None
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def gpu_count() -> int:
    """Visible NVIDIA GPUs: ``nvidia-smi -L``, else torch if it is installed, else none."""
    smi = shutil.which("nvidia-smi")
    if smi is not None:
        try:
            listed = subprocess.run(
                [smi, "-L"], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            listed = None
        if listed is not None and listed.returncode == 0:
            return sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU "))
    if importlib.util.find_spec("torch") is not None:
        try:
            import torch

            return int(torch.cuda.device_count())
        except Exception:  # a broken CUDA install reads as no GPU, which the error then says
            return 0
    return 0


def require_environment(scripts: Sequence[Path], world_size: int, gpus: int | None = None) -> str:
    """The tensorrt_llm version, or BuildError naming everything that is missing."""
    missing: list[str] = []
    version = package_version()
    if version is None:
        missing.append(
            f"the Python package `{PACKAGE}` is not installed (pip install {PACKAGE} on a Linux "
            "host with an NVIDIA GPU, or use NVIDIA's tritonserver TensorRT-LLM container)"
        )
    for script in scripts:
        if not script.is_file():
            missing.append(
                f"{script} does not exist: point tensorrt_llm.examples_dir (or "
                "$TRTLLM_EXAMPLES_DIR) at the examples folder of the TensorRT-LLM release you "
                "serve with"
            )
    found = gpu_count() if gpus is None else gpus
    if found < world_size:
        what = "no NVIDIA GPU is visible" if found == 0 else f"only {found} GPU(s) are visible"
        missing.append(
            f"{what}, and the engine needs {world_size} (tp_size x pp_size); nvidia-smi must "
            "list them"
        )
    if missing:
        raise BuildError(
            "cannot build the TensorRT-LLM engine:\n"
            + "\n".join(f"  - {m}" for m in missing)
            + f"\n{DRY_RUN_HINT}"
        )
    return version or "unknown"


def _tail(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(f"    {line}" for line in lines[-_TAIL_LINES:])


@contextmanager
def _step(name: str, argv: Sequence[str]) -> Iterator[None]:
    try:
        yield
    except FileNotFoundError as exc:
        raise BuildError(f"{name}: cannot start {argv[0]!r}: {exc.strerror or exc}") from exc
    except subprocess.CalledProcessError as exc:
        raise BuildError(
            f"{name} failed with exit code {exc.returncode}:\n  {' '.join(argv)}\n"
            f"  last lines of its output:\n{_tail(exc.stderr or exc.stdout or '')}"
        ) from exc
    except OSError as exc:
        raise BuildError(f"{name}: {exc.strerror or exc}") from exc


def run_steps(steps: Sequence[Sequence[str]], cwd: Path) -> None:
    """Run each step in order; the first failure stops the build with its stderr tail."""
    for argv in steps:
        script = len(argv) > 1 and argv[1].endswith(".py")
        with _step(Path(argv[1] if script else argv[0]).name, argv):
            subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=True)
