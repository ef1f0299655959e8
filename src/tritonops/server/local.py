"""``LocalTriton``: a real tritonserver started, watched and stopped by tritonops.

Readiness is polled (never a fixed sleep); the server log goes to a file whose relevant lines are
quoted in every error; stopping escalates SIGINT, SIGTERM, SIGKILL on the server's process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from tritonops.errors import ModelLoadError, ServerError
from tritonops.server.backends import PYTHON_BASED, prepare_backend_dir, stand_in_environment
from tritonops.server.binary import TritonInstall, find_tritonserver, python_library_dir
from tritonops.server.ports import free_port, port_in_use
from tritonops.triton import rest

# how long past its --exit-timeout-secs a server may take to unload its models and exit after
# SIGINT before it is killed (a stub stuck in a model's load or initialize never ends by itself)
_STOP_MARGIN_S = 3.0
# where POSIX shared memory lives on Linux (shm_open names are files here)
_SHM = Path("/dev/shm")


@dataclass
class ServerOptions:
    """What the server is started with; ``argv`` renders it (never a shell string)."""

    repository: Path
    host: str = "127.0.0.1"
    http_port: int | None = None
    grpc_port: int | None = None
    metrics_port: int | None = None
    # models loaded at start; the server runs in explicit model-control mode either way
    load: Sequence[str] = ()
    log_verbose: int = 0
    exit_timeout_s: int = 5
    response_cache_bytes: int = 16 * 1024 * 1024
    extra_args: Sequence[str] = field(default_factory=tuple)
    # names this server's python-backend shared-memory regions, so that a server that had to be
    # killed (its stubs never unlink their regions then) can have them removed
    shm_prefix: str = ""

    def argv(self, install: TritonInstall, backend_dir: Path) -> list[str]:
        if None in (self.http_port, self.grpc_port, self.metrics_port):
            raise ServerError("ports must be chosen before the argv is built (LocalTriton.start)")
        args = [
            str(install.binary),
            f"--model-repository={self.repository}",
            f"--backend-directory={backend_dir}",
            "--model-control-mode=explicit",
            f"--http-address={self.host}",
            f"--http-port={self.http_port}",
            f"--grpc-address={self.host}",
            f"--grpc-port={self.grpc_port}",
            f"--metrics-address={self.host}",
            f"--metrics-port={self.metrics_port}",
            f"--exit-timeout-secs={self.exit_timeout_s}",
            f"--log-verbose={self.log_verbose}",
            "--strict-readiness=false",
            # request/queue time quantiles, as the Kubernetes pods export them: the SLO rules of
            # tritonops.monitoring read them (Triton's docs/user_guide/metrics.md, "Summaries")
            "--metrics-config=summary_latencies=true",
        ]
        if install.caches is not None and (install.caches / "local").is_dir():
            args += [
                f"--cache-directory={install.caches}",
                f"--cache-config=local,size={self.response_cache_bytes}",
            ]
        if self.shm_prefix:
            # python_backend src/python_be.cc: each python-based backend reads
            # shm-region-prefix-name from its own backend config
            args += [
                f"--backend-config={backend},shm-region-prefix-name={self.shm_prefix}{backend}_"
                for backend in PYTHON_BASED
            ]
        args += [f"--load-model={name}" for name in self.load]
        args += list(self.extra_args)
        return args


class LocalTriton:
    """A tritonserver on loopback ports; use as a context manager."""

    def __init__(
        self,
        repository: Path | str,
        *,
        http_port: int | None = None,
        grpc_port: int | None = None,
        metrics_port: int | None = None,
        load: Iterable[str] = (),
        tritonserver: Path | str | None = None,
        startup_timeout_s: float = 60.0,
        load_timeout_s: float = 120.0,
        log_file: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        repo = Path(repository).resolve()
        if not repo.is_dir():
            raise ServerError(f"model repository {repo} is not a folder — render or build it first")
        self.install = find_tritonserver(tritonserver)
        self.options = ServerOptions(
            repository=repo,
            http_port=http_port,
            grpc_port=grpc_port,
            metrics_port=metrics_port,
            load=tuple(load),
            extra_args=tuple(extra_args),
            shm_prefix=f"tritonops_{os.getpid()}_{secrets.token_hex(4)}_",
        )
        self.startup_timeout_s = startup_timeout_s
        self.load_timeout_s = load_timeout_s
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._log_handle: int | None = None

    # -- endpoints -----------------------------------------------------------------------------
    @property
    def http_url(self) -> str:
        return f"{self.options.host}:{self.options.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"{self.options.host}:{self.options.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.options.host}:{self.options.metrics_port}/metrics"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> LocalTriton:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        if self.is_running():
            return
        opts = self.options
        for attr in ("http_port", "grpc_port", "metrics_port"):
            port = getattr(opts, attr)
            if port is None:
                setattr(opts, attr, free_port(opts.host))
            elif port_in_use(port, opts.host):
                raise ServerError(
                    f"port {port} ({attr.removesuffix('_port')}) on {opts.host} is in use — "
                    "choose another port or leave it out to pick a free one"
                )
        backend_dir = prepare_backend_dir(self.install)
        if self.log_file is None:
            fd, name = tempfile.mkstemp(prefix="tritonserver-", suffix=".log")
            os.close(fd)
            self.log_file = Path(name)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log_handle = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._process = subprocess.Popen(  # argv list, never a shell string
            opts.argv(self.install, backend_dir),
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self._environment(),
            start_new_session=True,  # our own process group: Ctrl-C reaches us, we stop it
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        libs = [str(p) for p in (python_library_dir(), *self.install.library_dirs) if p]
        if env.get("LD_LIBRARY_PATH"):
            libs.append(env["LD_LIBRARY_PATH"])
        env["LD_LIBRARY_PATH"] = os.pathsep.join(libs)
        # The python backend stub embeds Python and resolves its prefix from `python3` on PATH: with
        # this interpreter's bin first, a venv's pyvenv.cfg is honoured and models see its packages.
        bindir = str(Path(sys.executable).parent)
        env["PATH"] = os.pathsep.join([bindir, env.get("PATH", "")])
        # the stand-in backends read the server's --backend-config from here (always set, so a
        # value left in the caller's environment never reaches them)
        env.update(stand_in_environment(self.options.extra_args))
        return env

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if not self.is_running():
                raise ServerError(
                    "tritonserver exited during start-up:\n" + self.log_tail(problems_only=True)
                )
            if rest.live(self.http_url) and rest.ready(self.http_url):
                return
            time.sleep(0.1)
        raise ServerError(
            f"tritonserver did not become ready within {self.startup_timeout_s:.0f} s:\n"
            + self.log_tail(problems_only=True)
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # no SIGTERM between the two: tritonserver handles it as SIGINT, and a second
            # signal while it exits does nothing (server src/triton_signal.cc)
            grace_s = self.options.exit_timeout_s + _STOP_MARGIN_S
            for sig, wait_s in ((signal.SIGINT, grace_s), (signal.SIGKILL, 5.0)):
                try:
                    # the group holds the server and its python backend stubs
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            # stubs outlive a killed server for a moment; take them down with it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            self._remove_shared_memory()
        if self._log_handle is not None:
            os.close(self._log_handle)
            self._log_handle = None

    def _remove_shared_memory(self) -> None:
        """The shared-memory regions a killed server's stubs left (a clean exit leaves none):
        they live in /dev/shm, which is memory, until the machine restarts."""
        prefix = self.options.shm_prefix
        if not prefix or not _SHM.is_dir():
            return
        for region in _SHM.glob(f"{prefix}*"):
            with contextlib.suppress(OSError):
                region.unlink()

    # -- model control -------------------------------------------------------------------------
    def load(
        self, model: str, *, timeout_s: float | None = None, config: str | None = None
    ) -> None:
        """Load (or reload) a model; a failure raises ModelLoadError with the server's reason.

        ``config`` is a JSON model config that the server uses in place of config.pbtxt (Triton's
        repository API, protocol/extension_model_repository.md "config" parameter).
        """
        self._require_running()
        mark = self._log_size()
        wait_s = timeout_s or self.load_timeout_s
        try:
            status, body = self._answer(
                lambda: rest.load(self.http_url, model, config=config or None, timeout_s=wait_s)
            )
        except TimeoutError:
            lines = self._log_lines_since(mark, model)
            detail = "\n".join(lines) if lines else "no reason in the server log"
            raise ModelLoadError(
                model,
                f"the load did not finish within {timeout_s or self.load_timeout_s:.0f} s "
                f"(Triton 2.51 leaves a python model LOADING when its stub dies):\n{detail}",
            ) from None
        if status != 200:
            reason = _error_text(body).strip()
            # the log often repeats the answer; keep only the lines that add to it
            core = reason.split(": ", 1)[-1].strip()
            lines = [ln for ln in self._log_lines_since(mark, model) if core not in ln]
            if lines:
                reason += "\n" + "\n".join(lines)
            raise ModelLoadError(model, reason)

    def unload(self, model: str, *, unload_dependents: bool = False) -> None:
        self._require_running()
        status, text = self._answer(
            lambda: rest.unload(self.http_url, model, unload_dependents=unload_dependents)
        )
        if status != 200:
            raise ServerError(f"unloading {model!r} failed: {_error_text(text)}")

    def model_ready(self, model: str, version: str = "") -> bool:
        return rest.is_ok(self.http_url, rest.model_path(model, version) + "/ready")

    def repository_index(self) -> list[dict[str, str]]:
        self._require_running()
        status, body = self._answer(lambda: rest.repository_index(self.http_url))
        if status != 200:
            raise ServerError(f"repository index failed: {_error_text(body)}")
        data = json.loads(body or "[]")
        return list(data) if isinstance(data, list) else []

    # -- logs ----------------------------------------------------------------------------------
    def log_tail(self, lines: int = 40, *, problems_only: bool = False) -> str:
        if self.log_file is None or not self.log_file.exists():
            return "(no server log)"
        text = _without_usage(self.log_file.read_text(errors="replace").splitlines())
        if problems_only:
            picked = [line for line in text if _is_problem(line)]
            text = picked or text
        return "\n".join(text[-lines:])

    def _log_size(self) -> int:
        return self.log_file.stat().st_size if self.log_file and self.log_file.exists() else 0

    def _log_lines_since(self, offset: int, model: str) -> list[str]:
        if self.log_file is None:
            return []
        with self.log_file.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace").splitlines()
        # protobuf's parse errors and stub failures don't name the model; the rest do
        relevant = ("Stub", "libprotobuf", f"'{model}'", f'"{model}"')
        picked = [line for line in text if _is_problem(line) and any(r in line for r in relevant)]
        return [_shorten(line) for line in picked][-10:]

    # -- HTTP ----------------------------------------------------------------------------------
    def _require_running(self) -> None:
        if not self.is_running():
            raise ServerError(
                "tritonserver is not running (it stopped or was killed):\n"
                + self.log_tail(problems_only=True)
            )

    def _answer(self, send: Callable[[], rest.Reply]) -> tuple[int, str]:
        """``send``'s status and text; no answer raises TimeoutError (the wait ran out) or
        ServerError (the server is gone, with its log's problems)."""
        try:
            reply = send()
        except rest.NoAnswer as exc:
            if exc.timed_out:
                raise TimeoutError from exc
            self._wait_exit(1.0)
            self._require_running()
            raise ServerError(f"cannot reach tritonserver at {self.http_url}: {exc}") from exc
        return reply.status, reply.text()

    def _wait_exit(self, timeout_s: float) -> None:
        """A connection dropped: give a dying server a moment to be seen as dead."""
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=timeout_s)


def _without_usage(lines: list[str]) -> list[str]:
    """The log without tritonserver's usage text, which it prints before the reason when an
    option does not parse ('Bad option: "--http-port". Invalid option value.'): the usage's
    own words ("--log-error", "--exit-on-error") would otherwise pass for the problem."""
    if not lines or not any(line.startswith("Usage: tritonserver") for line in lines):
        return lines
    start = next(i for i, line in enumerate(lines) if line.startswith("Usage: tritonserver"))
    end = start + 1
    # the usage is option lines ("  --x"), their indented help and "Section:" headers
    while end < len(lines) and (
        not lines[end] or lines[end][:1] in (" ", "\t") or lines[end].endswith(":")
    ):
        end += 1
    return lines[:start] + lines[end:]


def _is_problem(line: str) -> bool:
    head = line[:1]
    return head in ("E", "W") or "error" in line.lower() or "failed" in line.lower()


# The python backend appends the stub's Python stack ("\n\nAt:\n  file(line): function") to a
# model's exception; the reason is the text before it. In the log the newlines are escaped.
_STACK = re.compile(r"\s*\n\s*At:\n(?:\s+\S.*\(\d+\): .*(?:\n|$))*\s*")
_LOGGED_STACK = re.compile(r"(?:\\n)+At:(?:\\n  [^\\]*?\(\d+\): [^\\]*)*(?:\\n)*")


def _shorten(line: str) -> str:
    """Drop protobuf's build-path prefix and the stub's Python stack: the reason is what counts."""
    if line.startswith("[libprotobuf") and "] " in line:
        return line.split("] ", 1)[1]
    return _LOGGED_STACK.sub("", line)


def _error_text(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip() or "no reason given"
    if isinstance(data, dict) and "error" in data:
        return _STACK.sub(" ", str(data["error"])).strip().rstrip(";").strip()
    return body.strip()
