"""The README's commands run as written, so they cannot rot."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "README.md"


def readme_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]


def readme_commands() -> list[str]:
    """Every line of the README's bash blocks that runs tritonops (scripts/test would recurse)."""
    return [line for line in readme_lines() if line.startswith(".venv/bin/tritonops")]


def test_readme_main_job_runs(tmp_path: Path) -> None:
    """`scripts/quickstart` = set-up (done: this suite runs in it) + `tritonops quickstart`."""
    assert "scripts/quickstart" in readme_lines()
    script = (ROOT / "scripts" / "quickstart").read_text()
    assert "scripts/bootstrap" in script
    assert "tritonops quickstart" in script
    tritonops = str(Path(sys.executable).parent / "tritonops")
    done = subprocess.run(
        [tritonops, "quickstart", str(tmp_path / "qs")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^verdict: (PROMOTE|HOLD|ROLLBACK)", done.stdout, flags=re.M), done.stdout
    report = tmp_path / "qs" / "report"
    for name in ("report.json", "report.md", "latency_cdf.png", "over_time.png"):
        assert (report / name).stat().st_size > 0
    assert (report / "latency_cdf.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_readme_has_the_tour_commands() -> None:
    commands = readme_commands()
    assert any(" render " in f" {c} " for c in commands)
    assert any(" validate " in f" {c} " for c in commands)


def test_readme_commands_run_in_order(tmp_path: Path) -> None:
    # run from a copy of the examples, so deploy history and renders stay out of the checkout
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for command in readme_commands():
        # the README writes to /tmp/...; point those paths into this test's own tmp dir
        argv = [a.replace("/tmp/", f"{tmp_path}/") for a in shlex.split(command)]
        argv[0] = str(Path(sys.executable).parent / "tritonops")
        done = subprocess.run(
            argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


def test_readme_names_the_test_command_ci_runs() -> None:
    assert "scripts/test" in readme_lines()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
