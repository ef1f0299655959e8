"""A build killed with SIGKILL midway leaves the previous artifact and repository intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tritonops.builders.run import build_project
from tritonops.builders.store import artifact_dir

MODEL_PY = "import triton_python_backend_utils as pb_utils\n\nclass TritonPythonModel:\n    pass\n"
PROJECT = """
models:
  - name: echo
    kind: python
    source: echo
    max_batch_size: 0
    inputs: [{ name: x, data_type: fp32, dims: [1] }]
    outputs: [{ name: y, data_type: fp32, dims: [1] }]
"""
# a build that writes half its artifact, says so, then hangs until it is killed
HANGING_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tritonops.builders.python import PythonBuilder
    from tritonops.builders.run import build_project

    def hang(self, ctx):
        (ctx.work_dir / "model.py").write_text("half written")
        print("HALFWAY", flush=True)
        time.sleep(120)

    PythonBuilder.build = hang
    build_project(Path(sys.argv[1]), force=True)
    """
)


def test_sigkill_midway_leaves_previous_version(tmp_path: Path) -> None:
    (tmp_path / "echo").mkdir()
    (tmp_path / "echo" / "model.py").write_text(MODEL_PY)
    project = tmp_path / "tritonops.yaml"
    project.write_text(PROJECT)
    build_project(project)
    served = tmp_path / "model_repository" / "echo" / "1" / "model.py"
    stored = artifact_dir(tmp_path, "echo") / "model.py"
    assert served.read_text() == MODEL_PY

    child = subprocess.Popen(
        [sys.executable, "-c", HANGING_BUILD, str(project)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "HALFWAY"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()

    assert served.read_text() == MODEL_PY
    assert stored.read_text() == MODEL_PY
    leftovers = [p for p in stored.parent.parent.iterdir() if p.name.startswith(".echo.")]
    assert leftovers, "the killed build's work dir should still be there before the next build"
    # the next build cleans up and finds everything up to date
    again = build_project(project)
    assert again.built == []
    assert not [p for p in stored.parent.parent.iterdir() if p.name.startswith(".echo.")]
