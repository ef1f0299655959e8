"""``tritonops doctor``: what artifacts were built with vs what will serve them; what breaks.

Build-time versions come from the lineage records; the serving side is this environment and the
tritonserver it would start (started briefly on an empty repository to ask its version).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

from tritonops.builders import lineage
from tritonops.builders.tensorrt_llm.standin import is_standin
from tritonops.errors import ServerError
from tritonops.server import LocalTriton
from tritonops.server.backends import prepare_backend_dir
from tritonops.server.binary import find_tritonserver
from tritonops.triton import rest

# ok: agrees; warn: may differ in behaviour; fail: will not serve (doctor exits 1)
CheckStatus = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    detail: str


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _major(version: str | None) -> str | None:
    return version.split(".")[0] if version else None


def _minor(version: str | None) -> str | None:
    return ".".join(version.split(".")[:2]) if version else None


def serving_environment(start_server: bool = True) -> dict[str, str]:
    """Versions on the serving side; tritonserver's own version needs a brief start."""
    env = {
        "python": platform.python_version(),
        "glibc": platform.libc_ver()[1] or "unknown",
    }
    for package in ("numpy", "onnx", "onnxruntime", "tensorrt_llm", "torch", "tritonclient"):
        found = _version(package)
        if found:
            env[package] = found
    env["gpu"] = "yes" if shutil.which("nvidia-smi") and _gpu_visible() else "no"
    try:
        install = find_tritonserver()
    except ServerError as exc:
        env["tritonserver"] = f"missing ({exc})"
        return env
    env["tritonserver.binary"] = str(install.binary)
    backends = sorted(p.name for p in prepare_backend_dir(install).iterdir() if p.is_dir())
    env["backends"] = ",".join(backends)
    if start_server:
        with (
            tempfile.TemporaryDirectory() as empty,
            LocalTriton(empty, startup_timeout_s=60) as server,
        ):
            metadata = rest.server_metadata(server.http_url)
            env["tritonserver"] = str(metadata.get("version", "unknown"))
    return env


def _gpu_visible() -> bool:
    try:
        done = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "GPU" in done.stdout


def diagnose(project_root: Path, env: dict[str, str]) -> list[Check]:
    """Compare every lineage record's tools with ``env``; say what will break and why."""
    checks: list[Check] = []
    numpy = env.get("numpy")
    if "python" in env.get("backends", "") and _major(numpy) not in (None, "1"):
        checks.append(
            Check(
                "numpy",
                "fail",
                f"numpy {numpy} here: the Triton 2.51 python backend stub answers with empty "
                "output tensors under numpy 2 — install numpy<2 in the serving environment",
            )
        )
    if env.get("tritonserver", "").startswith("missing"):
        checks.append(Check("tritonserver", "fail", env["tritonserver"]))
    for record in lineage.read_all(project_root):
        name = f"{record.model} v{record.version}"
        checks += _compare(name, record.tools, env)
        if record.kind == "tensorrt_llm" and is_standin(record.tools):
            checks.append(
                Check(
                    name,
                    "warn",
                    "a CPU stand-in engine (build --dry-run): the embedded server's tensorrtllm "
                    "stand-in serves it; a production Triton needs `tritonops build` on a GPU",
                )
            )
        elif record.kind == "tensorrt_llm" and env.get("gpu") != "yes":
            checks.append(Check(name, "fail", "a TensorRT-LLM engine needs an NVIDIA GPU to serve"))
    if not checks:
        checks.append(Check("environment", "ok", "nothing built yet, or everything agrees"))
    return checks


def _compare(name: str, tools: dict[str, str], env: dict[str, str]) -> list[Check]:
    checks = []
    built_ort, serving_ort = tools.get("onnxruntime"), env.get("onnxruntime")
    if built_ort and serving_ort and _minor(built_ort) != _minor(serving_ort):
        newer = tuple(int(x) for x in serving_ort.split(".")[:2]) >= tuple(
            int(x) for x in built_ort.split(".")[:2]
        )
        checks.append(
            Check(
                name,
                "warn" if newer else "fail",
                f"optimized and checked with onnxruntime {built_ort}, served by {serving_ort}"
                + ("" if newer else " (older: it may not know the graph's opset or fused ops)"),
            )
        )
    built_trt, serving_trt = tools.get("tensorrt_llm"), env.get("tensorrt_llm")
    if built_trt:
        if not serving_trt:
            checks.append(Check(name, "fail", f"built with TensorRT-LLM {built_trt}; none here"))
        elif built_trt != serving_trt:
            checks.append(
                Check(
                    name,
                    "fail",
                    f"engine built with TensorRT-LLM {built_trt}, runtime is {serving_trt}: "
                    "engines are tied to the exact version — rebuild with --force",
                )
            )
    built_numpy = tools.get("numpy")
    if built_numpy and _major(built_numpy) != _major(env.get("numpy")):
        checks.append(
            Check(name, "warn", f"built with numpy {built_numpy}, serving has {env.get('numpy')}")
        )
    if tools.get("python") and _minor(tools["python"]) != _minor(env.get("python")):
        checks.append(
            Check(
                name,
                "warn",
                f"built under Python {tools['python']}, the python backend stub runs "
                f"{env.get('python')}: pickled or compiled files may not load",
            )
        )
    if not checks:
        checks.append(Check(name, "ok", "built with the versions that will serve it"))
    return checks
