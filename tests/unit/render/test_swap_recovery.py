"""kill -9 during a render never leaves the repository missing; the next command cleans up.

Each case runs ``tritonops render`` in a child process that SIGKILLs itself at one point of the
write (no handler, ``finally`` or ``except`` runs, as with a real kill), then runs the next
command and looks at what is on disk.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tritonops.atomic import REPOSITORY_MARKER, recover_directory
from tritonops.cli.main import cli

SRC = str(Path(__file__).resolve().parents[3] / "src")

# The child: patch one step of the write to kill the process right before or after it runs.
CHILD = textwrap.dedent(
    """
    import errno, os, shutil, signal, sys
    from pathlib import Path
    from tritonops import atomic
    from tritonops.cli.main import cli

    point, project, out = sys.argv[1:4]
    die = lambda: os.kill(os.getpid(), signal.SIGKILL)
    exchange, rename, rmtree, copy2 = atomic.exchange, Path.rename, shutil.rmtree, shutil.copy2
    renames = []

    def no_exchange(a, b):
        raise OSError(errno.EINVAL, "Invalid argument")

    def killing_exchange(a, b):
        if point == "before-exchange":
            die()
        exchange(a, b)
        if point == "after-exchange":
            die()

    def killing_rename(self, target):
        renames.append(self)
        if point == "between-renames" and len(renames) == 2:
            die()
        result = rename(self, target)
        if point == "after-renames" and len(renames) == 2:
            die()
        return result

    def killing_copy(*args, **kwargs):
        if point == "copying":
            die()
        return copy2(*args, **kwargs)

    if point in ("between-renames", "after-renames"):
        atomic.exchange = no_exchange
    else:
        atomic.exchange = killing_exchange
    Path.rename = killing_rename
    shutil.copy2 = killing_copy
    cli(["render", "-f", project, "--out", out, "--no-validate"])
    """
)

POINTS = ["copying", "before-exchange", "after-exchange", "between-renames", "after-renames"]


def _project(folder: Path, models: list[str]) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "model.py").write_text("class TritonPythonModel:\n    pass\n", encoding="utf-8")
    lines = "".join(f"  - {{name: {m}, kind: python, source: model.py}}\n" for m in models)
    path = folder / "tritonops.yaml"
    path.write_text("models:\n" + lines, encoding="utf-8")
    built = CliRunner().invoke(cli, ["build", "-f", str(path)])  # render lays out the build store
    assert built.exit_code == 0, built.output
    return path


def _tree(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.name != REPOSITORY_MARKER
    )


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _render(project: Path, out: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "-f", str(project), "--out", str(out)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_any_point_of_the_swap_leaves_a_whole_repository(
    tmp_path: Path, point: str
) -> None:
    out = tmp_path / "out" / "model_repository"
    old_project = _project(tmp_path / "old", ["a"])
    new_project = _project(tmp_path / "new", ["b", "c"])
    _render(old_project, out)
    old = _tree(out)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(new_project), str(out)],
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    leftovers = [p.name for p in out.parent.iterdir() if p != out]
    assert leftovers, "the kill left nothing to clean up: the case does not test recovery"
    # The next command that touches the project recovers: `validate` of the folder here.
    result = CliRunner().invoke(cli, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert _tree(out) in (old, _tree_of_new(tmp_path, new_project))
    assert sorted(p.name for p in out.parent.iterdir()) == ["model_repository"]
    # ...and the next render replaces it as usual.
    _render(new_project, out)
    assert [p for p in _tree(out) if "/" not in p] == ["b", "c"]


def _tree_of_new(tmp_path: Path, project: Path) -> list[str]:
    fresh = tmp_path / "fresh" / "model_repository"
    _render(project, fresh)
    return _tree(fresh)


@pytest.mark.parametrize("legacy", [False, True], ids=["current", "tritonops-0.1-name"])
def test_loading_the_project_restores_a_repository_set_aside(tmp_path: Path, legacy: bool) -> None:
    project = _project(tmp_path, ["a"])
    out = tmp_path / "model_repository"
    _render(project, out)
    before = _tree(out)
    pid = "" if legacy else f"{_dead_pid()}-"
    aside = tmp_path / f".model_repository.tritonops-old-{pid}0123abcd"
    out.rename(aside)  # what a kill between the two renames leaves
    result = CliRunner().invoke(cli, ["render", "-f", str(project)])
    assert result.exit_code == 0, result.output
    assert _tree(out) == before
    assert not aside.exists()


def test_recovery_leaves_foreign_and_live_folders_alone(tmp_path: Path) -> None:
    out = tmp_path / "model_repository"
    out.mkdir()
    ours = '{"written_by": "tritonops"}'
    lookalike = tmp_path / ".model_repository.tritonops-tmp-1-0123abcd"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("not a marker in sight", encoding="utf-8")
    other_name = tmp_path / ".model_repository.tritonops-tmp-zz"  # not the pattern
    other_name.mkdir()
    (other_name / REPOSITORY_MARKER).write_text(ours, encoding="utf-8")
    legacy = tmp_path / ".model_repository.tritonops-tmp-0123abcd"  # tritonops 0.1: no pid
    legacy.mkdir()
    (legacy / REPOSITORY_MARKER).write_text(ours, encoding="utf-8")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".model_repository.tritonops-tmp-{sleeper.pid}-89abcdef"
        live.mkdir()
        (live / REPOSITORY_MARKER).write_text(ours, encoding="utf-8")
        dead = tmp_path / f".model_repository.tritonops-old-{_dead_pid()}-00000000"
        dead.mkdir()
        (dead / REPOSITORY_MARKER).write_text(ours, encoding="utf-8")
        recover_directory(out, REPOSITORY_MARKER)
        assert lookalike.exists()
        assert other_name.exists()
        assert live.exists()
        assert not dead.exists()
        assert not legacy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    recover_directory(out, REPOSITORY_MARKER)
    assert not live.exists()
    assert lookalike.exists()


@pytest.mark.parametrize(
    ("marker_text", "removed"),
    [
        ("", True),  # killed right after the marker was opened (write_text truncates first)
        ('{"written_by": "trito', True),  # killed inside the first marker write
        ('{\n  "written_by": "tritonops",\n  "state": "rea', True),  # inside the last one
        ('{"written_by": "someone else"', False),  # cut short, but not ours
        ("my notes", False),
    ],
)
def test_a_folder_killed_while_its_marker_was_written_is_removed(
    tmp_path: Path, marker_text: str, removed: bool
) -> None:
    out = tmp_path / "model_repository"
    out.mkdir()
    staged = tmp_path / f".model_repository.tritonops-tmp-{_dead_pid()}-0a1b2c3d"
    (staged / "m" / "1").mkdir(parents=True)
    (staged / "m" / "config.pbtxt").write_text('name: "m"\n', encoding="utf-8")
    (staged / REPOSITORY_MARKER).write_text(marker_text, encoding="utf-8")
    recover_directory(out, REPOSITORY_MARKER)
    assert staged.exists() is not removed
    assert out.is_dir()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "two-renames"])
def test_kills_at_random_moments_never_lose_the_repository(tmp_path: Path, fallback: bool) -> None:
    out = tmp_path / "model_repository"
    projects = [_project(tmp_path / "p0", ["a"]), _project(tmp_path / "p1", ["b", "c"])]
    _render(projects[0], out)
    trees = [_tree(out), _tree_of_new(tmp_path, projects[1])]
    point = "after-renames-never" if not fallback else "fallback-only"
    script = CHILD.replace(
        'if point in ("between-renames", "after-renames")', "if " + str(fallback)
    )
    rng = random.Random(12)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-c", script, point, str(projects[1]), str(out)], env=_env(), check=True
    )
    span = time.monotonic() - started  # one whole render in a child, imports included
    for attempt in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", script, point, str(projects[attempt % 2]), str(out)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.0) * span)
        child.kill()
        child.wait()
        if not fallback:  # one atomic exchange: whole even before any recovery
            assert _tree(out) in trees, f"attempt {attempt}"
        recover_directory(out, REPOSITORY_MARKER)
        assert _tree(out) in trees, f"attempt {attempt}"
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_render_out_into_a_folder_with_a_planted_empty_marker_keeps_the_files(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path / "p", ["a"])
    home = tmp_path / "home"
    home.mkdir()
    (home / REPOSITORY_MARKER).write_text("", encoding="utf-8")
    (home / "thesis.tex").write_text("years of work", encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", "-f", str(project), "--out", str(home)])
    assert result.exit_code == 1, result.output
    assert "thesis.tex" in result.output
    assert "Traceback" not in result.output
    assert (home / "thesis.tex").read_text(encoding="utf-8") == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "p"]
