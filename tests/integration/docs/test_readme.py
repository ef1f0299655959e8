"""The README's commands run as written, so they cannot rot."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"


def readme_commands() -> list[str]:
    """Every line of the README's bash blocks that runs tritonops (scripts/test would recurse)."""
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(".venv/bin/tritonops")]


def test_readme_has_the_tour_commands() -> None:
    commands = readme_commands()
    assert any(" render " in f" {c} " for c in commands)
    assert any(" validate " in f" {c} " for c in commands)


def test_readme_commands_run_in_order(tmp_path: Path) -> None:
    for command in readme_commands():
        # the README writes to /tmp/...; point those paths into this test's own tmp dir
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(command)]
        argv[0] = str(Path(sys.executable).parent / "tritonops")
        done = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


def test_readme_names_the_test_command_ci_runs() -> None:
    assert "scripts/test" in README.read_text()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
