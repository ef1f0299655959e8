"""The examples build as documented: the quickstart reproduces model_repository/, llm dry-runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from tritonops.builders.run import build_project
from tritonops.cli.main import cli
from tritonops.repository.validate import validate_repository

ROOT = Path(__file__).resolve().parents[3]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_quickstart_rebuild_reproduces_the_committed_repository(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(
        ROOT / "examples" / "quickstart",
        project,
        ignore=shutil.ignore_patterns(".tritonops", "model_repository", "__pycache__"),
    )
    result = build_project(project / "tritonops.yaml")
    assert sorted(result.built) == ["digits_v1", "digits_v2", "preprocess"]
    rebuilt = _files(project / "model_repository")
    committed = _files(ROOT / "model_repository")
    assert sorted(rebuilt) == sorted(committed)
    changed = [name for name in committed if committed[name] != rebuilt[name]]
    assert changed == [], "run scripts/update-model-repository and commit the result"
    # a second build does no work
    again = build_project(project / "tritonops.yaml")
    assert again.built == []
    assert again.repository_state == "up-to-date"


def test_llm_example_dry_run_renders_a_valid_repository(tmp_path: Path) -> None:
    project = tmp_path / "llm"
    shutil.copytree(
        ROOT / "examples" / "llm",
        project,
        ignore=shutil.ignore_patterns(".tritonops", "model_repository"),
    )
    result = CliRunner().invoke(
        cli, ["build", "-f", str(project / "tritonops.yaml"), "--dry-run", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "trtllm-build" in result.output
    repository = project / "model_repository"
    report = validate_repository(repository)
    assert report.valid, [str(d) for d in report.diagnostics]
    assert report.models == 6  # the TensorRT-LLM five and the vLLM variant
    for config in repository.glob("*/config.pbtxt"):
        assert "${" not in config.read_text(), config
