"""Hostile repositories: each ends with exit 1 and a located error, never a hang or a traceback.

The CLI runs in a subprocess with a timeout so that a regression that blocks (a FIFO opened for
reading, /dev/zero read to the end) fails the test instead of hanging the suite.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from repo_builder import MODEL_PY, PY_CONFIG, Repo

from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate import validate_repository
from tritonops.repository.validate.safe_read import CONFIG_LIMIT, UnreadableFile, read_bytes

SRC = Path(__file__).resolve().parents[3] / "src"


def _cli(repo: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "tritonops.cli.main", "validate", str(repo)],
        capture_output=True,
        text=True,
        timeout=60,  # a hang guard, not a speed assertion
        env=env,
        check=False,
    )


def _model(root: Path, name: str = "m") -> Path:
    Repo(root).python(name)
    return root / name


def _errors(root: Path, code: str) -> list[Diagnostic]:
    report = validate_repository(root)
    return [d for d in report.errors if d.code == code]


def _assert_cli_fails_cleanly(root: Path, *needles: str) -> None:
    result = _cli(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for needle in needles:
        assert needle in result.stdout, result.stdout


def test_fifo_config_is_refused_without_blocking(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").unlink()
    os.mkfifo(model / "config.pbtxt")
    [error] = _errors(tmp_path / "repo", "TRITON-L013")
    assert error.file == "m/config.pbtxt"
    assert "named pipe (FIFO)" in error.message
    assert "regular file" in error.hint
    _assert_cli_fails_cleanly(tmp_path / "repo", "m/config.pbtxt", "FIFO")


def test_config_linked_to_dev_zero_is_refused(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").unlink()
    (model / "config.pbtxt").symlink_to("/dev/zero")
    [error] = _errors(tmp_path / "repo", "TRITON-L013")
    assert "character device" in error.message
    _assert_cli_fails_cleanly(tmp_path / "repo", "character device")


def test_config_over_the_size_cap_is_refused_before_reading(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    with (model / "config.pbtxt").open("r+b") as f:
        f.truncate(CONFIG_LIMIT + 1)  # sparse: the size alone must refuse it
    [error] = _errors(tmp_path / "repo", "TRITON-L013")
    assert f"{CONFIG_LIMIT + 1:,} bytes" in error.message
    _assert_cli_fails_cleanly(tmp_path / "repo", "limit")


def test_config_that_is_a_directory(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").unlink()
    (model / "config.pbtxt").mkdir()
    report = validate_repository(tmp_path / "repo")
    [error] = report.errors
    assert error.code == "TRITON-L016"
    assert error.file == "m/config.pbtxt"
    assert report.warnings == []  # not also called a misnamed version folder
    assert "is a directory" in error.message
    _assert_cli_fails_cleanly(tmp_path / "repo", "TRITON-L016")


def test_config_symlink_loop(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").unlink()
    (model / "config.pbtxt").symlink_to(model / "config.pbtxt")
    [error] = _errors(tmp_path / "repo", "TRITON-L013")
    assert "symbolic link loop" in error.message
    _assert_cli_fails_cleanly(tmp_path / "repo", "symbolic link loop")


def test_model_folder_that_is_a_symlink_loop_is_not_a_model(tmp_path: Path) -> None:
    _model(tmp_path / "repo")
    (tmp_path / "repo" / "loop").symlink_to(tmp_path / "repo" / "loop")
    report = validate_repository(tmp_path / "repo")
    assert report.model_names == ("m",)  # the loop is no folder Triton could enter
    assert report.valid, report.errors


def test_version_folder_that_is_a_symlink_loop(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "2").symlink_to(model / "2")
    report = validate_repository(tmp_path / "repo")
    assert report.valid, report.errors  # version 1 is served; the loop is not a version


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> set[Path]:
    """A fake OS that refuses to list the folders put in the returned set (tests run as root)."""
    paths: set[Path] = set()
    real_scandir = os.scandir

    def fake_scandir(path: str | os.PathLike[str]) -> object:
        if Path(path) in paths:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    return paths


def test_unreadable_model_folder_is_reported_not_raised(tmp_path: Path, refused: set[Path]) -> None:
    _model(tmp_path / "repo", "a")
    _model(tmp_path / "repo", "b")
    refused.add(tmp_path / "repo" / "a")
    report = validate_repository(tmp_path / "repo")
    [error] = [d for d in report.errors if d.code == "TRITON-L013"]
    assert error.model == "a"
    assert "permission denied" in error.message
    assert "readable" in error.hint
    assert report.model_names == ("b",)


def test_unreadable_repository_is_a_repository_error(tmp_path: Path, refused: set[Path]) -> None:
    from tritonops.errors import RepositoryError

    _model(tmp_path / "repo")
    refused.add(tmp_path / "repo")
    with pytest.raises(RepositoryError, match="permission denied"):
        validate_repository(tmp_path / "repo")


def test_a_refusal_inside_a_check_becomes_a_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any OSError a check meets (here: a version folder the OS refuses) is reported, not raised."""
    from tritonops.repository.validate import run

    _model(tmp_path / "repo")

    def refusing_check(folder: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "repo/m/1"))

    monkeypatch.setattr(run, "_MODEL_CHECKS", (refusing_check,))
    [error] = _errors(tmp_path / "repo", "TRITON-L013")
    assert "Permission denied" in error.message
    assert "m/1" in error.message


def test_fifo_model_py_does_not_block(tmp_path: Path) -> None:
    (tmp_path / "repo" / "m" / "1").mkdir(parents=True)
    os.mkfifo(tmp_path / "repo" / "m" / "1" / "model.py")
    report = validate_repository(tmp_path / "repo")
    assert {d.code for d in report.diagnostics} == {"TRITON-L009"}


def test_read_bytes_refuses_a_file_swapped_for_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(UnreadableFile, match="FIFO"):
        read_bytes(tmp_path / "pipe")


def test_deeply_nested_config_is_a_parse_error(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").write_text(
        'name: "m"\nbackend: "python"\n' + "parameters { " * 50_000 + "}" * 50_000
    )
    [error] = _errors(tmp_path / "repo", "TRITON-S001")
    assert error.line == 3
    _assert_cli_fails_cleanly(tmp_path / "repo", "TRITON-S001")


def test_nul_inside_a_string_is_an_error(tmp_path: Path) -> None:
    """tritonserver 2.51: "Unexpected end of string" (protobuf's C++ tokenizer stops at NUL)."""
    model = _model(tmp_path / "repo")
    text = PY_CONFIG.format(name="m") + 'parameters { key: "k" value { string_value: "a\0b" } }\n'
    (model / "config.pbtxt").write_text(text)
    [error] = _errors(tmp_path / "repo", "TRITON-S016")
    assert error.line == text.count("\n")
    assert "column 47" in error.message
    _assert_cli_fails_cleanly(tmp_path / "repo", "NUL")


def test_other_control_characters_in_strings_are_accepted(tmp_path: Path) -> None:
    """tritonserver 2.51 loads \\x01 and a tab inside a string value (checked)."""
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").write_text(
        PY_CONFIG.format(name="m") + 'parameters { key: "k" value { string_value: "a\x01\tb" } }\n'
    )
    assert validate_repository(tmp_path / "repo").valid


def test_invalid_utf8_is_a_located_warning(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").write_bytes(b"# caf\xe9\n" + PY_CONFIG.format(name="m").encode())
    report = validate_repository(tmp_path / "repo")
    assert report.valid
    [warning] = [d for d in report.warnings if d.code == "TRITON-S017"]
    assert warning.line == 1
    assert "0xe9 at line 1, column 6" in warning.message


def test_binary_garbage_config_is_a_parse_error(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "config.pbtxt").write_bytes(bytes(range(1, 256)) * 100)
    _assert_cli_fails_cleanly(tmp_path / "repo", "TRITON-S001")


def test_twenty_thousand_findings_in_one_file_are_all_located(tmp_path: Path) -> None:
    model = _model(tmp_path / "repo")
    (model / "1" / "model.py").write_text(MODEL_PY)
    # compact spelling keeps 20k inputs under the 1 MiB config cap
    body = "".join(f'input{{name:"I{i}" data_type:TYPE_FP32 dims:0}}\n' for i in range(20_000))
    (model / "config.pbtxt").write_text('name: "m"\nbackend: "python"\n' + body)
    errors = _errors(tmp_path / "repo", "TRITON-T004")
    assert len(errors) == 20_000
    assert sorted(d.line or 0 for d in errors) == list(range(3, 20_003))


def test_many_models(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = Repo(root)
    for i in range(300):
        repo.python(f"m{i}")
    (root / "m7" / "config.pbtxt").write_text("garbage {")
    report = validate_repository(root)
    assert report.models == 300
    assert {d.model for d in report.errors} == {"m7"}
