"""The atomic repository writer: full layout, all-or-nothing swaps, and refusing foreign folders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from render_cases import ensemble, onnx_model, python_model

from tritonops import atomic
from tritonops.errors import RenderError, RepositoryError
from tritonops.repository.layout import MARKER, write_repository
from tritonops.spec.plan import ModelPlan


def _tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> content ("<dir>" for folders)."""
    return {
        str(p.relative_to(root)): "<dir>" if p.is_dir() else p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "build"
    (folder / "assets").mkdir(parents=True)
    (folder / "model.onnx").write_text("onnx bytes", encoding="utf-8")
    (folder / "model.py").write_text("class TritonPythonModel: ...\n", encoding="utf-8")
    (folder / "assets" / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    (folder / "labels.txt").write_text("cat\ndog\n", encoding="utf-8")
    return folder


def _plans(sources: Path) -> list[ModelPlan]:
    onnx = onnx_model()
    python = python_model()
    return [
        ModelPlan(
            config=onnx.config,
            kind=onnx.kind,
            versions=(1, 2),
            version_files={"model.onnx": sources / "model.onnx"},
            model_files={"labels.txt": sources / "labels.txt"},
        ),
        ModelPlan(
            config=python.config,
            kind=python.kind,
            version_files={"model.py": sources / "model.py", "assets": sources / "assets"},
        ),
        ensemble(),
    ]


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def test_writes_the_whole_layout(tmp_path: Path, sources: Path) -> None:
    out = tmp_path / "repo"
    result = write_repository(_plans(sources), out)
    tree = _tree(out)
    assert sorted(tree) == [
        MARKER,
        "pipeline",
        "pipeline/1",
        "pipeline/config.pbtxt",
        "resnet50",
        "resnet50/1",
        "resnet50/1/model.onnx",
        "resnet50/2",
        "resnet50/2/model.onnx",
        "resnet50/config.pbtxt",
        "resnet50/labels.txt",
        "tokenizer",
        "tokenizer/1",
        "tokenizer/1/assets",
        "tokenizer/1/assets/vocab.txt",
        "tokenizer/1/model.py",
        "tokenizer/config.pbtxt",
    ]
    assert tree["resnet50/2/model.onnx"] == "onnx bytes"
    assert tree["resnet50/config.pbtxt"].startswith("# onnx model")
    assert json.loads(tree[MARKER])["models"] == ["resnet50", "tokenizer", "pipeline"]
    assert result.root == out
    assert result.names == ["resnet50", "tokenizer", "pipeline"]
    assert result.models[0].config == out / "resnet50" / "config.pbtxt"
    assert result.models[0].versions == (1, 2)
    assert out / "resnet50" / "labels.txt" in result.models[0].files
    assert all(f.exists() for m in result.models for f in m.files)
    assert _siblings(out) == ["build", "repo"]


def test_the_repository_gets_ordinary_permissions(tmp_path: Path, sources: Path) -> None:
    out = tmp_path / "repo"
    write_repository(_plans(sources), out)
    (tmp_path / "plain").mkdir()
    assert out.stat().st_mode == (tmp_path / "plain").stat().st_mode


def test_check_sees_the_finished_repository_before_the_swap(tmp_path: Path, sources: Path) -> None:
    out = tmp_path / "repo"
    seen: list[Path] = []

    def check(candidate: Path) -> None:
        assert candidate != out
        assert candidate.parent == out.parent
        assert (candidate / "tokenizer" / "1" / "model.py").is_file()
        assert not out.exists()
        seen.append(candidate)

    write_repository(_plans(sources), out, check=check)
    assert len(seen) == 1
    assert not seen[0].exists()


def _previous(tmp_path: Path, sources: Path) -> tuple[Path, dict[str, str]]:
    out = tmp_path / "repo"
    write_repository(_plans(sources)[:1], out)
    return out, _tree(out)


def test_a_failing_check_leaves_the_old_repository_and_no_temp_folder(
    tmp_path: Path, sources: Path
) -> None:
    out, before = _previous(tmp_path, sources)

    def refuse(candidate: Path) -> None:
        raise RepositoryError("the validator found 1 error")

    with pytest.raises(RepositoryError, match="validator"):
        write_repository(_plans(sources), out, check=refuse)
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_an_interrupt_leaves_the_old_repository_and_no_temp_folder(
    tmp_path: Path, sources: Path
) -> None:
    out, before = _previous(tmp_path, sources)

    def interrupted(candidate: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_repository(_plans(sources), out, check=interrupted)
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_a_failed_swap_puts_the_old_repository_back(
    tmp_path: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = _previous(tmp_path, sources)

    def full_disk(a: Path, b: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "exchange", full_disk)
    with pytest.raises(
        RepositoryError, match=r"No space left on device.*previous one is unchanged"
    ):
        write_repository(_plans(sources), out)
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_without_an_atomic_exchange_a_failed_second_rename_restores_the_old_repository(
    tmp_path: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = _previous(tmp_path, sources)
    rename = Path.rename

    def unsupported(a: Path, b: Path) -> None:
        raise OSError(22, "Invalid argument")

    def failing_rename(self: Path, target: str | os.PathLike[str]) -> Path:
        if ".tritonops-tmp-" in self.name:
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(atomic, "exchange", unsupported)
    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(RepositoryError, match=r"No space left on device"):
        write_repository(_plans(sources), out)
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_a_missing_source_names_model_file_and_fix_and_changes_nothing(
    tmp_path: Path, sources: Path
) -> None:
    out, before = _previous(tmp_path, sources)
    (sources / "model.py").unlink()
    (sources / "labels.txt").unlink()
    with pytest.raises(RepositoryError) as caught:
        write_repository(_plans(sources), out)
    message = str(caught.value)
    assert "2 problem(s)" in message
    assert (
        f"model 'tokenizer': source {sources / 'model.py'} for 'model.py' does not exist" in message
    )
    assert f"model 'resnet50': source {sources / 'labels.txt'}" in message
    assert "tritonops build" in message
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_render_failures_are_collected_for_every_model(tmp_path: Path, sources: Path) -> None:
    plans = [
        ModelPlan(config=p.config, kind="tensorflow", version_files=p.version_files)
        for p in _plans(sources)[:2]
    ]
    with pytest.raises(RenderError) as caught:
        write_repository(plans, tmp_path / "repo")
    message = str(caught.value)
    assert message.startswith("2 of 2 model(s) did not render")
    assert "model 'resnet50'" in message
    assert "model 'tokenizer'" in message
    assert not (tmp_path / "repo").exists()


def test_refuses_to_replace_a_folder_tritonops_did_not_write(tmp_path: Path, sources: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(RepositoryError, match=r"refusing to replace .*home.*no \.tritonops"):
        write_repository(_plans(sources), home)
    assert _tree(home) == {"thesis.tex": "years of work"}
    assert _siblings(home) == ["build", "home"]


def test_an_empty_folder_is_replaced(tmp_path: Path, sources: Path) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    write_repository(_plans(sources), out)
    assert (out / "tokenizer" / "config.pbtxt").is_file()


def test_refuses_a_file_or_a_symlink_as_output(tmp_path: Path, sources: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(RepositoryError, match="not a folder"):
        write_repository(_plans(sources), target)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "build")
    with pytest.raises(RepositoryError, match="symbolic link"):
        write_repository(_plans(sources), link)


def test_a_previous_tritonops_repository_is_replaced_wholly(tmp_path: Path, sources: Path) -> None:
    out, _ = _previous(tmp_path, sources)
    write_repository([ensemble()], out)
    assert sorted(_tree(out)) == [MARKER, "pipeline", "pipeline/1", "pipeline/config.pbtxt"]
    assert _siblings(out) == ["build", "repo"]


def test_files_added_or_edited_after_the_render_are_never_deleted(
    tmp_path: Path, sources: Path
) -> None:
    out, _ = _previous(tmp_path, sources)
    (out / "resnet50" / "stale.txt").write_text("old", encoding="utf-8")
    (out / "notes.md").write_text("hand edit", encoding="utf-8")
    (out / "extra" / "deep").mkdir(parents=True)
    (out / "extra" / "deep" / "a.bin").write_text("mine", encoding="utf-8")
    config = out / "resnet50" / "config.pbtxt"
    config.write_text(config.read_text(encoding="utf-8") + "# tuned by hand\n", encoding="utf-8")
    before = _tree(out)
    with pytest.raises(RepositoryError) as caught:
        write_repository([ensemble()], out)
    message = str(caught.value)
    assert "4 file(s) in it are not what tritonops recorded writing" in message
    for name in ("extra/", "notes.md", "resnet50/config.pbtxt", "resnet50/stale.txt"):
        assert name in message
    assert "move them out" in message
    assert _tree(out) == before
    assert _siblings(out) == ["build", "repo"]


def test_a_same_size_edit_is_caught_and_the_marker_is_reproducible(
    tmp_path: Path, sources: Path
) -> None:
    out, _ = _previous(tmp_path, sources)
    first = (out / MARKER).read_bytes()
    write_repository(_plans(sources)[:1], out)
    assert (out / MARKER).read_bytes() == first  # no times, no pids: same project, same bytes
    labels = out / "resnet50" / "labels.txt"
    labels.write_text("cow\ndog\n", encoding="utf-8")  # same size as "cat\ndog\n"
    with pytest.raises(RepositoryError, match=r"resnet50/labels.txt — move them out"):
        write_repository([ensemble()], out)
    assert labels.read_text(encoding="utf-8") == "cow\ndog\n"


def test_bytecode_the_python_backend_leaves_is_not_in_the_way(
    tmp_path: Path, sources: Path
) -> None:
    out = tmp_path / "repo"
    write_repository(_plans(sources), out)
    cache = out / "tokenizer" / "1" / "__pycache__"
    cache.mkdir()
    (cache / "model.cpython-311.pyc").write_bytes(b"\x00")
    write_repository([ensemble()], out)
    assert not (out / "tokenizer").exists()


@pytest.mark.parametrize("marker", ["", "{}", '{"written_by": "tritonops", "models": ["a"]}'])
def test_an_empty_or_old_style_marker_does_not_make_a_folder_ours(
    tmp_path: Path, sources: Path, marker: str
) -> None:
    home = tmp_path / "home"
    (home / "a").mkdir(parents=True)
    (home / MARKER).write_text(marker, encoding="utf-8")
    (home / "a" / "thesis.tex").write_text("years of work", encoding="utf-8")
    before = _tree(home)
    with pytest.raises(RepositoryError, match=r"1 file\(s\) in it .*: a/ — move them out"):
        write_repository(_plans(sources), home)
    assert _tree(home) == before
    (home / "a" / "thesis.tex").unlink()
    (home / "a").rmdir()
    write_repository(_plans(sources), home)  # only the old marker left: nothing to lose
    assert (home / "tokenizer" / "config.pbtxt").is_file()


def test_bad_names_and_paths_are_reported_together(tmp_path: Path, sources: Path) -> None:
    onnx = onnx_model()
    plans = [
        onnx,
        onnx,
        ModelPlan(config=onnx.config.model_copy(update={"name": ".hidden"}), kind="onnx"),
        ModelPlan(
            config=python_model().config,
            kind="python",
            versions=(-1,),
            version_files={"../escape.py": sources / "model.py"},
            model_files={"config.pbtxt": sources / "labels.txt"},
        ),
    ]
    with pytest.raises(RepositoryError) as caught:
        write_repository(plans, tmp_path / "repo")
    message = str(caught.value)
    assert "model 'resnet50' appears twice" in message
    assert "model '.hidden': a model name must be one folder name" in message
    assert "version -1 is negative" in message
    assert "'../escape.py' is not a relative path inside the version folder" in message
    assert "would overwrite the rendered config.pbtxt" in message
    assert not (tmp_path / "repo").exists()


def test_a_source_folder_holding_the_output_is_refused(tmp_path: Path, sources: Path) -> None:
    plan = ModelPlan(config=python_model().config, kind="python", version_files={"src": tmp_path})
    with pytest.raises(RepositoryError, match="contains the repository being written"):
        write_repository([plan], tmp_path / "repo")
    assert _siblings(tmp_path / "repo") == ["build"]
