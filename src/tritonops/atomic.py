"""Whole folders replaced atomically: what tritonops writes is built aside, then swapped in.

Used for model repositories and Kubernetes manifests alike. Three promises:

**Never delete what tritonops did not write.** The folder's marker file records a manifest: every
file tritonops wrote (relative path, size, sha256) and every folder. A folder is replaceable when
it is absent, empty, or holds nothing but what its manifest lists, unchanged. The marker is written
last, so a file whose mtime is older than the marker's has not been touched since (the trust rsync
and git place in mtimes) and is not hashed again; any other file is. The manifest holds no times
or pids, so rendering the same project twice gives the same bytes. Anything else (a
user's file, an edited config, an empty or old-style marker with other content next to it) makes
tritonops refuse and name the files in the way. Python's bytecode cache (``__pycache__`` holding
only ``*.pyc``) is the one exception: the Python backend writes it next to ``model.py`` when
Triton loads the model, and Python rebuilds it from the source.

**Never leave the folder missing.** On Linux the swap is one ``renameat2(RENAME_EXCHANGE)`` of the
staged folder and the live one: at every instant the path names either the old or the new
folder, whole. Where the kernel or filesystem lacks the exchange, the swap falls back to two
renames (live → ``.NAME.tritonops-old-*``, staged → live); a kill between them leaves the live
path missing, and ``recover_directory`` (run before every command that reads or writes the
folder) renames the old one back — it was complete, and the staged one may not have passed its
checks yet, so going back is the only safe direction.

**Never let temp folders pile up.** Staged and set-aside folders are siblings named
``.NAME.tritonops-tmp-PID-RAND`` / ``.NAME.tritonops-old-PID-RAND`` (PID: the writing process,
RAND: 8 random hex digits), and a staged folder gets a marker the moment it is made.
``recover_directory`` removes a sibling only when its name matches that pattern exactly AND it
carries a tritonops marker (or is empty, as when a kill came between ``mkdir`` and the marker
write) AND its writer is no longer running, so a render in progress next door is left alone. (A
leftover named with this process's own pid counts as dead: one process does not write the same
folder from two threads.)

The manifest costs one extra read of what was written (sha256 at about 0.5 GB/s here: 0.58 s for
256 MiB); the check before a replace compares sizes and hashes only files newer than the marker.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tritonops.errors import TritonOpsError

REPOSITORY_MARKER = ".tritonops"  # the marker file of a model repository tritonops wrote

# The pid is absent from names tritonops 0.1 gave (``.NAME.tritonops-old-RAND``): those are
# recognised too, so an upgrade recovers what the old swap left, and count as dead.
_TEMP = re.compile(r"\.(?P<name>.+)\.tritonops-(?P<kind>tmp|old)-(?:(?P<pid>[0-9]+)-)?[0-9a-f]{8}")
_SHOWN = 10  # files in the way listed in an error before "and N more"
_CHUNK = 1 << 20
# the marker a staging folder gets first; a kill while writing it leaves a prefix of it
_FIRST_MARKER = json.dumps({"written_by": "tritonops", "state": "staging"}) + "\n"
# how every marker we write begins: the first one above, and write_marker's (indented) one
_MARKER_STARTS = (_FIRST_MARKER, '{\n  "written_by": "tritonops"')


def staging_path(root: Path, kind: str = "tmp") -> Path:
    """A fresh sibling name for staging (``tmp``) or setting aside (``old``) ``root``."""
    return root.parent / f".{root.name}.tritonops-{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def make_staging(root: Path, marker: str) -> Path:
    """Create the staged sibling of ``root``, marked as tritonops's from the first instant.

    Raises ``OSError``; callers translate it into their own error.
    """
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = staging_path(root)
    # mkdir (not mkdtemp, which makes 0700 folders) so the result gets normal permissions.
    tmp.mkdir()
    (tmp / marker).write_text(_FIRST_MARKER, encoding="utf-8")
    return tmp


def write_marker(staged: Path, marker: str, record: dict[str, Any]) -> None:
    """Write ``staged``'s marker: ``record`` plus the manifest of everything now in ``staged``.

    Call it last, once every file is in place: the manifest is what later proves the folder ours.
    """
    files: dict[str, dict[str, int | str]] = {}
    folders: list[str] = []
    for path in sorted(_walk(staged)):
        rel = path.relative_to(staged).as_posix()
        if rel == marker:
            continue
        if path.is_dir() and not path.is_symlink():
            folders.append(rel)
        else:
            stat = path.lstat()
            files[rel] = {"size": stat.st_size, "sha256": _hash(path)}
    manifest = {"folders": folders, "files": files}
    full = {"written_by": "tritonops", **record, "manifest": manifest}
    (staged / marker).write_text(json.dumps(full, indent=2) + "\n", encoding="utf-8")


def check_replaceable(root: Path, marker: str, error: type[TritonOpsError]) -> None:
    """Raise ``error`` unless ``root`` is absent, empty, or holds only what its manifest lists.

    Recovers an interrupted swap first (``recover_directory``).
    """
    recover_directory(root, marker)
    if not root.exists() and not root.is_symlink():
        return
    if root.is_symlink():
        raise error(
            f"{root} is a symbolic link — point the output at the folder itself "
            f"({root.resolve()}), so the swap replaces that folder and not the link"
        )
    if not root.is_dir():
        raise error(
            f"{root} exists and is not a folder — choose another output folder, or remove it"
        )
    if not any(root.iterdir()):
        return
    if not (root / marker).is_file():
        raise error(
            f"refusing to replace {root}: it is not empty and tritonops did not write it (no "
            f"{marker} file) — point the output at an empty or new folder, or empty this one "
            "yourself"
        )
    foreign = foreign_entries(root, marker)
    if foreign:
        shown = ", ".join(foreign[:_SHOWN])
        more = f" and {len(foreign) - _SHOWN} more" if len(foreign) > _SHOWN else ""
        raise error(
            f"refusing to replace {root}: {len(foreign)} file(s) in it are not what tritonops "
            f"recorded writing in {marker} (added or changed since): {shown}{more} — move them "
            "out (or delete them yourself), or point the output at another folder"
        )


def foreign_entries(root: Path, marker: str) -> list[str]:
    """Paths under ``root`` (relative, sorted) that its marker's manifest does not vouch for."""
    manifest = _manifest(root / marker)
    written_ns = (root / marker).stat().st_mtime_ns
    files: dict[str, dict[str, Any]] = manifest.get("files", {}) if manifest else {}
    folders = set(manifest.get("folders", [])) if manifest else set()
    foreign: list[str] = []
    for path in sorted(_walk(root)):
        rel = path.relative_to(root).as_posix()
        if rel == marker or _is_bytecode_cache(path):
            continue
        if path.is_dir() and not path.is_symlink():
            if rel not in folders and not _only_known_below(rel, files, folders):
                foreign.append(rel + "/")
            continue
        if rel not in files or not _unchanged(path, files[rel], written_ns):
            foreign.append(rel)
    # A new folder full of new files is reported once, as the folder.
    return [
        f for f in foreign if not any(f != d and f.startswith(d) for d in foreign if d[-1] == "/")
    ]


def swap_directory(staged: Path, root: Path) -> None:
    """Put ``staged`` at ``root``; the old ``root`` is removed once the new one is in place."""
    if not root.exists():
        staged.rename(root)
        return
    try:
        exchange(staged, root)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        _swap_by_two_renames(staged, root)
        return
    shutil.rmtree(staged, ignore_errors=True)  # now holds the old folder


def recover_directory(root: Path, marker: str) -> None:
    """Undo what a killed swap left: restore a missing ``root``, remove dead temp folders.

    Safe to call before any command that reads or writes ``root``; does nothing when nothing was
    interrupted.
    """
    try:
        siblings = list(root.parent.iterdir())
    except OSError:
        return  # no parent yet, or unreadable: nothing of ours to recover
    ours = [p for p in siblings if _is_our_temp(p, root.name, marker)]
    if not root.exists() and not root.is_symlink():
        aside = [p for p in ours if _TEMP.fullmatch(p.name)["kind"] == "old"]  # type: ignore[index]
        if aside:
            # Only one can exist: a second swap starts after a recovery has restored the root.
            newest = max(aside, key=lambda p: p.stat().st_mtime_ns)
            try:
                newest.rename(root)
            except OSError:
                return  # not ours to force: the command that needs the folder reports it missing
            ours.remove(newest)
    for path in ours:
        if not _writer_alive(path):
            shutil.rmtree(path, ignore_errors=True)


def exchange(a: Path, b: Path) -> None:
    """Swap two paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``)."""
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    at_fdcwd, rename_exchange = -100, 2  # <fcntl.h>, <linux/fs.h>
    result = _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(a), None, str(b))


def _load_renameat2() -> Any:
    name = ctypes.util.find_library("c")
    try:
        function = ctypes.CDLL(name, use_errno=True).renameat2  # glibc >= 2.28
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


_renameat2 = _load_renameat2()


def _swap_by_two_renames(staged: Path, root: Path) -> None:
    aside = staging_path(root, "old")
    root.rename(aside)
    try:
        staged.rename(root)
    except BaseException:
        aside.rename(root)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in (*dirnames, *filenames):
            yield base / name


def _hash(path: Path) -> str:
    if path.is_symlink():
        return hashlib.sha256(os.fsencode(os.readlink(path))).hexdigest()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _unchanged(path: Path, recorded: dict[str, Any], written_ns: int) -> bool:
    stat = path.lstat()
    if stat.st_size != recorded.get("size"):
        return False
    # Older than the marker (written last): untouched since. Otherwise the content decides.
    return stat.st_mtime_ns < written_ns or _hash(path) == recorded.get("sha256")


def _only_known_below(rel: str, files: dict[str, Any], folders: set[str]) -> bool:
    prefix = rel + "/"
    return any(f.startswith(prefix) for f in files) or any(d.startswith(prefix) for d in folders)


def _is_bytecode_cache(path: Path) -> bool:
    if path.name == "__pycache__" and path.is_dir() and not path.is_symlink():
        return all(p.suffix == ".pyc" and p.is_file() for p in path.iterdir())
    return path.parent.name == "__pycache__" and _is_bytecode_cache(path.parent)


def _manifest(marker: Path) -> dict[str, Any] | None:
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    manifest = record.get("manifest") if isinstance(record, dict) else None
    return manifest if isinstance(manifest, dict) else None


def _is_our_temp(path: Path, root_name: str, marker: str) -> bool:
    found = _TEMP.fullmatch(path.name)
    if found is None or found["name"] != root_name or path.is_symlink() or not path.is_dir():
        return False
    try:
        record = json.loads((path / marker).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return not any(path.iterdir())  # killed between mkdir and the first marker write
    except ValueError:
        # killed while a marker was being written (write_text truncates, then writes): what is
        # there is the start of one of ours, or nothing yet
        return _is_cut_short(path / marker)
    except OSError:
        return False
    return isinstance(record, dict) and record.get("written_by") == "tritonops"


def _is_cut_short(marker: Path) -> bool:
    try:
        text = marker.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(ours.startswith(text) or text.startswith(ours) for ours in _MARKER_STARTS)


def _writer_alive(path: Path) -> bool:
    found = _TEMP.fullmatch(path.name)
    pid = int(found["pid"]) if found and found["pid"] else 0
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
