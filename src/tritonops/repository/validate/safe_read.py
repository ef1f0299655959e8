"""The one way the validator reads a file: regular files only, never blocking, never unbounded.

A repository is untrusted input. ``open()`` on a FIFO blocks until a writer appears, a link to
``/dev/zero`` never ends, and a multi-gigabyte file exhausts memory; a symlink loop or a folder the
OS refuses raises OSError. Every reader of the validator goes through ``read_bytes``/``read_text``
here, which ``os.stat`` the path first (following links, as Triton does), refuse anything but a
regular file, open with ``O_NONBLOCK`` (so even a FIFO swapped in after the stat cannot block),
re-check the opened descriptor, and read at most ``limit`` bytes. Each refusal is an
``UnreadableFile`` whose message says what the file is and how to fix it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# config.pbtxt: the largest real configs (TensorRT-LLM, ensembles of dozens of steps, inline
# parameters) are tens of kilobytes. 1 MiB is ten times the largest we know of; protobuf's pure
# Python text parser plus the line locator take about 5 s for 1 MiB of map entries on a loaded
# 2-core machine (measured), so the cap keeps a worst-case file well inside a CI step's patience.
# Anything larger is not a hand-written config but a mistake or an attack.
CONFIG_LIMIT = 1024 * 1024
# model files parsed whole (model.onnx): protobuf cannot hold a message over 2 GiB, so a larger file
# cannot be a loadable ONNX model (big weights live in external data files, never read here).
MODEL_LIMIT = 2 * 1024 * 1024 * 1024
# model.py and other sources read for static analysis: a big file is legitimate for Triton (a model
# may embed data), so past this size the validator skips the analysis instead of failing the model.
SOURCE_LIMIT = 8 * 1024 * 1024


class UnreadableFile(OSError):
    """A file the validator refuses or cannot read; ``reason`` and ``hint`` are for the user."""

    def __init__(self, path: Path, reason: str, hint: str, err: int = errno.EINVAL) -> None:
        super().__init__(err, reason, str(path))
        self.path = path
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return self.reason


class UndecodableText(UnreadableFile):
    """A file that is not UTF-8; ``line``/``column`` locate the first bad byte (1-based)."""

    def __init__(self, path: Path, line: int, column: int, byte: int) -> None:
        super().__init__(
            path,
            f"byte 0x{byte:02x} at line {line}, column {column} is not valid UTF-8",
            "save the file as UTF-8 text (protobuf text format is UTF-8)",
        )
        self.line = line
        self.column = column


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _os_reason(exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link loop", "point the link at a real file or replace it"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied", "make it readable by the user running the validator"
    if exc.errno == errno.ENOENT:
        return "it does not exist (or is a dangling link)", "create it or fix the link"
    return exc.strerror or type(exc).__name__, "make it a readable regular file"


def _check(path: Path, info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(
            path,
            f"it is {_kind(info.st_mode)}, not a regular file",
            "replace it with a regular file (Triton reads it as one)",
        )
    if info.st_size > limit:
        raise UnreadableFile(
            path,
            f"it is {info.st_size:,} bytes, over the {limit:,}-byte limit for this kind of file",
            "shrink it; a file this size is not a hand-written model configuration",
            errno.EFBIG,
        )


def read_bytes(path: Path, limit: int = CONFIG_LIMIT) -> bytes:
    """At most ``limit`` bytes of the regular file ``path``; UnreadableFile otherwise."""
    try:
        _check(path, os.stat(path), limit)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except UnreadableFile:
        raise
    except OSError as exc:
        reason, hint = _os_reason(exc)
        raise UnreadableFile(path, reason, hint, exc.errno or errno.EIO) from exc
    try:
        _check(path, os.fstat(fd), limit)  # the path may have been swapped after the stat
        chunks: list[bytes] = []
        left = limit + 1  # one byte more tells a file that grew past the limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except UnreadableFile:
        raise
    except OSError as exc:
        reason, hint = _os_reason(exc)
        raise UnreadableFile(path, reason, hint, exc.errno or errno.EIO) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnreadableFile(
            path,
            f"it grew past the {limit:,}-byte limit while being read",
            "shrink it; a file this size is not a hand-written model configuration",
            errno.EFBIG,
        )
    return data


def decode(path: Path, data: bytes) -> str:
    """``data`` as UTF-8; UndecodableText locating the first bad byte otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8", errors="replace")) + 1
        raise UndecodableText(path, line, column, data[exc.start]) from exc


def read_text(path: Path, limit: int = CONFIG_LIMIT) -> str:
    """The regular file ``path`` as text, at most ``limit`` bytes; UnreadableFile otherwise.

    Bytes that are not UTF-8 become U+FFFD instead of failing: tritonserver 2.51 loads a
    config.pbtxt with invalid UTF-8 in a comment or a string value (checked), so refusing it here
    would be a false error. ``first_undecodable`` locates them for a warning.
    """
    return read_bytes(path, limit).decode("utf-8", errors="replace")


def first_undecodable(path: Path, limit: int = CONFIG_LIMIT) -> UndecodableText | None:
    """Where ``path`` stops being UTF-8 (None if it is UTF-8 or cannot be read)."""
    try:
        decode(path, read_bytes(path, limit))
    except UndecodableText as exc:
        return exc
    except UnreadableFile:
        return None
    return None


def read_source(path: Path) -> bytes:
    """A source file for static analysis (model.py), capped at SOURCE_LIMIT."""
    return read_bytes(path, SOURCE_LIMIT)


def regular_file(path: Path) -> os.stat_result | None:
    """The stat of ``path`` if it is a regular file (links followed), else None; never raises."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info if stat.S_ISREG(info.st_mode) else None


def exists(path: Path) -> bool:
    """Does ``path`` exist (links followed)? A refusal by the OS counts as no; never raises."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


def read_model(path: Path) -> bytes:
    """A serialized model (model.onnx) to parse, capped at MODEL_LIMIT."""
    return read_bytes(path, MODEL_LIMIT)


def list_dir(path: Path) -> list[tuple[str, bool]]:
    """(name, is a directory) per entry of ``path``: links followed, a broken one is a file.

    Raises UnreadableFile when the folder itself cannot be listed.
    """
    try:
        with os.scandir(path) as entries:
            return [(entry.name, _is_dir(entry)) for entry in entries]
    except OSError as exc:
        reason, hint = _os_reason(exc)
        raise UnreadableFile(path, reason, hint, exc.errno or errno.EIO) from exc


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False  # a link loop or a vanished target: not a folder Triton could enter
