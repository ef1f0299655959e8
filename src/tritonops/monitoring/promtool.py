"""``promtool check rules`` and ``promtool test rules``: the one place tritonops runs promtool.

promtool comes with Prometheus (Debian/Ubuntu: ``apt-get install prometheus``; elsewhere the
release tarball from prometheus.io/download). Failures raise ``MonitoringError`` quoting promtool.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tritonops.errors import MonitoringError

INSTALL_HINT = (
    "install Prometheus (Debian/Ubuntu: `sudo apt-get install prometheus`; elsewhere the"
    " release from https://prometheus.io/download/) or set TRITONOPS_PROMTOOL to promtool's path"
)
_TIMEOUT_S = 120.0


def find_promtool() -> Path:
    """promtool's path: ``$TRITONOPS_PROMTOOL``, else the one on PATH."""
    named = os.environ.get("TRITONOPS_PROMTOOL")
    found = named or shutil.which("promtool")
    if not found or not Path(found).is_file():
        where = f"TRITONOPS_PROMTOOL={named} is not a file" if named else "no promtool on PATH"
        raise MonitoringError(f"{where} — {INSTALL_HINT}")
    return Path(found)


def _run(args: list[str], cwd: Path) -> str:
    argv = [str(find_promtool()), *args]
    try:
        done = subprocess.run(  # argv list, never a shell string
            argv, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MonitoringError(f"`{' '.join(argv)}` ran past {_TIMEOUT_S:g} s") from exc
    except OSError as exc:
        raise MonitoringError(f"cannot run {argv[0]}: {exc} — {INSTALL_HINT}") from exc
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise MonitoringError(f"`promtool {' '.join(args)}` failed:\n{output}")
    return output


def check_rules(*paths: Path) -> str:
    """``promtool check rules``: syntax, PromQL and templates of each file; its report."""
    return _run(["check", "rules", "--lint-fatal", *(str(p.resolve()) for p in paths)], Path.cwd())


def run_rule_tests(path: Path) -> str:
    """``promtool test rules`` on a test file (its ``rule_files`` are relative to it)."""
    return _run(["test", "rules", path.name], path.resolve().parent)
