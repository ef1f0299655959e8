"""The quickstart copied by hand and driven command by command (not through `quickstart`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from .test_journey import ok, tritonops

ROOT = Path(__file__).resolve().parents[2]


def test_build_then_render_then_deploy_on_a_copy(tmp_path: Path) -> None:
    project = tmp_path / "mine"
    shutil.copytree(
        ROOT / "examples" / "quickstart",
        project,
        ignore=shutil.ignore_patterns(".tritonops", "model_repository", "report", "__pycache__"),
    )
    before = tritonops(project, "render")
    assert before.returncode == 1
    assert "never been built" in before.stderr
    assert "tritonops build --only preprocess --only digits_v1" in before.stderr
    assert "Traceback" not in before.stderr

    ok(tritonops(project, "build"))
    ok(tritonops(project, "render"))
    out = ok(tritonops(project, "deploy", "--no-serve"))
    for model in ("digits_v1", "digits_v2", "preprocess", "pipeline_v1", "pipeline_v2"):
        assert any(line.split()[:1] == [model] and "READY" in line for line in out.splitlines())
