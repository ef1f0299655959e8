"""perf_analyzer: find it, make its libraries resolvable, render typed options, parse its CSV.

The 2.50.0 binary from ``tritonclient[all]`` links ``libb64.so.0d`` and ``libcudart.so.12``. Where
the system lacks them, copies shipped in Python wheels are put on ``LD_LIBRARY_PATH`` (pip
``nvidia-cuda-runtime-cu12``; the hash-suffixed copies in ``nvidia_pytriton.libs`` through links in
tritonops's cache); anything still missing is reported with the package that provides it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tritonops.errors import PerfError
from tritonops.perf.results import Latency, LevelResult, ServerTimes, WindowSeen
from tritonops.redact import scrub

PROVIDERS = {
    "libb64.so.0d": "the Debian/Ubuntu package libb64-0d (apt-get install -y libb64-0d)",
    "libcudart.so.12": "pip install nvidia-cuda-runtime-cu12 (or tritonops[perf])",
}
INSTALL_HINT = "pip install 'tritonops[perf]' (tritonclient[all]==2.50.0 ships bin/perf_analyzer)"

Protocol = Literal["grpc", "http"]
GRPC_HEADERS = (
    "perf_analyzer sends -H headers over HTTP only (its --help: ignored for gRPC requests) — "
    "measure with --engine builtin, or give --url http://HOST:PORT"
)
SharedMemory = Literal["none", "system", "cuda"]
MeasurementMode = Literal["time_windows", "count_windows"]


def find_perf_analyzer(path: Path | str | None = None) -> Path:
    """The binary: ``path`` if given, else this interpreter's bin/ (a venv), else PATH."""
    if path is not None:
        candidate = Path(path)
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            raise PerfError(f"{candidate} is not an executable perf_analyzer")
        return candidate
    local = Path(sys.executable).parent / "perf_analyzer"
    if local.is_file() and os.access(local, os.X_OK):
        return local
    found = shutil.which("perf_analyzer")
    if found:
        return Path(found)
    raise PerfError(f"perf_analyzer not found (looked in {local.parent} and PATH) — {INSTALL_HINT}")


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def _cache_dir() -> Path:
    root = os.environ.get("TRITONOPS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "tritonops"
    )
    return Path(root) / "perf-libs"


def _wheel_copies() -> list[Path]:
    """Folders with wheel-shipped copies of the libraries (links made for hash-suffixed names)."""
    site = _site_packages()
    dirs = [site / "nvidia" / "cuda_runtime" / "lib"]
    bundled = site / "nvidia_pytriton.libs"
    if bundled.is_dir():
        links = _cache_dir()
        for soname in PROVIDERS:
            stem, _, suffix = soname.partition(".so")
            matches = sorted(bundled.glob(f"{stem}-*.so{suffix}*"))
            link = links / soname
            if matches and not link.exists():
                links.mkdir(parents=True, exist_ok=True)
                link.unlink(missing_ok=True)  # a dangling link from an old environment
                link.symlink_to(matches[0])
        dirs.append(links)
    return [d for d in dirs if d.is_dir()]


def analyzer_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment perf_analyzer runs with: system libraries first, wheel copies after."""
    env = dict(os.environ if base is None else base)
    extra = [str(d) for d in _wheel_copies()]
    if env.get("LD_LIBRARY_PATH"):
        extra.insert(0, env["LD_LIBRARY_PATH"])
    env["LD_LIBRARY_PATH"] = os.pathsep.join(extra)
    return env


def missing_libraries(binary: Path, env: dict[str, str]) -> list[str]:
    """Shared libraries ``ldd`` cannot resolve for ``binary`` under ``env``."""
    if shutil.which("ldd") is None:
        return []  # cannot tell; running it will
    try:
        out = subprocess.run(
            ["ldd", str(binary)], env=env, capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return re.findall(r"^\s*(\S+) => not found", out, flags=re.MULTILINE)


def ready_analyzer(path: Path | str | None = None) -> tuple[Path, dict[str, str]]:
    """The binary and an environment it runs in, or PerfError saying what to install."""
    binary = find_perf_analyzer(path)
    env = analyzer_env()
    missing = missing_libraries(binary, env)
    if missing:
        lines = [
            f"  {lib}: {PROVIDERS.get(lib, 'unknown — search your distribution')}"
            for lib in missing
        ]
        raise PerfError(
            f"{binary} cannot run: shared libraries not found (ldd):\n"
            + "\n".join(lines)
            + "\nor put a folder holding them on LD_LIBRARY_PATH"
        )
    return binary, env


@dataclass(frozen=True)
class Range:
    """``start:end:step`` as perf_analyzer takes it."""

    start: float
    end: float | None = None
    step: float | None = None

    def arg(self) -> str:
        parts = [self.start, *(p for p in (self.end, self.step) if p is not None)]
        return ":".join(f"{p:g}" for p in parts)


@dataclass(frozen=True)
class AnalyzerOptions:
    """Typed perf_analyzer options; ``argv`` renders them. Exactly one load family is set."""

    model: str
    url: str
    protocol: Protocol = "grpc"
    concurrency: Range | None = None
    request_rate: Range | None = None
    request_intervals: Path | None = None  # a file of inter-request gaps in µs, one a line
    request_distribution: Literal["constant", "poisson"] | None = None
    measurement_mode: MeasurementMode = "time_windows"
    measurement_interval_ms: int | None = None
    measurement_request_count: int | None = None
    stability_percentage: float | None = None
    max_trials: int | None = None
    percentile: int | None = None
    batch_size: int = 1
    shared_memory: SharedMemory = "none"
    output_shared_memory_size: int | None = None
    streaming: bool = False
    async_mode: bool | None = None  # None: perf_analyzer's choice
    input_data: str | Path | None = None  # "zero", "random", or a JSON file
    string_length: int | None = None
    csv_path: Path | None = None
    # JSON with every request's send and response timestamps (percentiles over all requests)
    profile_export: Path | None = None
    verbose: bool = False  # -v: perf_analyzer prints each window ("Pass [n]") as it goes
    metrics_url: str | None = None
    # (name, value) pairs sent as HTTP headers (``-H 'name:value'``, once per header).
    # perf_analyzer's own --help: "-H: The header will be added to HTTP requests (ignored for
    # GRPC requests)", so headers over gRPC are refused here rather than silently dropped.
    headers: Sequence[tuple[str, str]] = field(default=(), repr=False)
    extra_args: Sequence[str] = ()

    def argv(self, binary: Path | str) -> list[str]:
        loads = [self.concurrency, self.request_rate, self.request_intervals]
        if sum(x is not None for x in loads) != 1:
            raise PerfError(
                "give exactly one of a concurrency range, a request-rate range or intervals"
            )
        if self.streaming and self.protocol != "grpc":
            raise PerfError("streaming needs the gRPC protocol (use a host:port URL)")
        if self.headers and self.protocol != "http":
            raise PerfError(GRPC_HEADERS)
        args = [str(binary), "-m", self.model, "-u", self.url, "-i", self.protocol]
        if self.concurrency is not None:
            args += ["--concurrency-range", self.concurrency.arg()]
        if self.request_rate is not None:
            args += ["--request-rate-range", self.request_rate.arg()]
        if self.request_intervals is not None:
            args += ["--request-intervals", str(self.request_intervals)]
        if self.request_distribution is not None:
            args += ["--request-distribution", self.request_distribution]
        args += ["--measurement-mode", self.measurement_mode]
        if self.measurement_interval_ms is not None:
            args += ["--measurement-interval", str(self.measurement_interval_ms)]
        if self.measurement_request_count is not None:
            args += ["--measurement-request-count", str(self.measurement_request_count)]
        if self.stability_percentage is not None:
            args += ["--stability-percentage", f"{self.stability_percentage:g}"]
        if self.max_trials is not None:
            args += ["--max-trials", str(self.max_trials)]
        if self.percentile is not None:
            args += ["--percentile", str(self.percentile)]
        args += ["-b", str(self.batch_size)]
        if self.shared_memory != "none":
            args += ["--shared-memory", self.shared_memory]
            if self.output_shared_memory_size is not None:
                args += ["--output-shared-memory-size", str(self.output_shared_memory_size)]
        if self.streaming:
            args.append("--streaming")
        if self.async_mode is not None:
            args.append("--async" if self.async_mode else "--sync")
        if self.input_data is not None:
            args += ["--input-data", str(self.input_data)]
        if self.string_length is not None:
            args += ["--string-length", str(self.string_length)]
        if self.csv_path is not None:
            # --verbose-csv adds the gRPC request/response and response-wait columns
            args += ["-f", str(self.csv_path), "--verbose-csv"]
        if self.profile_export is not None:
            args += ["--profile-export-file", str(self.profile_export)]
        if self.verbose:
            args.append("-v")
        if self.metrics_url is not None:
            args += ["--collect-metrics", "--metrics-url", self.metrics_url]
        for name, value in self.headers:
            args += ["-H", f"{name}:{value}"]
        return args + list(self.extra_args)


_LOAD_COLUMNS = ("Concurrency", "Request Rate")


def parse_csv(text: str, batch_size: int = 1) -> list[LevelResult]:
    """perf_analyzer's ``-f`` CSV to typed levels, sorted by load (it writes them by throughput)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise PerfError("perf_analyzer wrote an empty CSV (no load level was measured)")
    load_col = next((c for c in _LOAD_COLUMNS if c in rows[0]), None)
    if load_col is None or "Inferences/Second" not in rows[0]:
        raise PerfError(f"unexpected perf_analyzer CSV header: {list(rows[0])}")
    levels = []
    for row in rows:
        num = {k: float(v) for k, v in row.items() if k and v not in (None, "")}
        parts = [
            "Client Send",
            "Network+Server Send/Recv",
            "Server Queue",
            "Server Compute Input",
            "Server Compute Infer",
            "Server Compute Output",
            "Client Recv",
        ]
        # with --percentile the CSV drops "Avg latency"; its stages sum to it (checked: within 1 %)
        avg = num.get("Avg latency", sum(num.get(p, 0.0) for p in parts))
        server = None
        if "Server Queue" in num:
            server = ServerTimes(
                queue_us=num["Server Queue"],
                compute_input_us=num.get("Server Compute Input", 0.0),
                compute_infer_us=num.get("Server Compute Infer", 0.0),
                compute_output_us=num.get("Server Compute Output", 0.0),
            )
        levels.append(
            LevelResult(
                load=num[load_col],
                throughput=num["Inferences/Second"],
                latency=Latency(
                    p50_us=num["p50 latency"],
                    p90_us=num["p90 latency"],
                    p95_us=num["p95 latency"],
                    p99_us=num["p99 latency"],
                    avg_us=avg,
                ),
                client_send_us=num.get("Client Send"),
                client_recv_us=num.get("Client Recv"),
                server=server,
                metrics={
                    k: v
                    for k, v in num.items()
                    if k.startswith(("Avg GPU", "Max GPU", "Total GPU"))
                },
            )
        )
    return sorted(levels, key=lambda lv: lv.load)


# perf_analyzer -v prints one line per window, e.g.
#   "Pass [2] throughput: 1460.53 infer/sec. p99 latency: 1231 usec"
#   "Pass [1] throughput: 101.2 infer/sec. Avg latency: 9790 usec (std 1021 usec)"
_PASS = re.compile(
    r"Pass \[\d+\] throughput: ([0-9.eE+-]+) infer/sec\. (Avg|p\d+) latency: ([0-9.eE+-]+) usec"
)
_UNSTABLE = "Failed to obtain stable measurement"


class UnstableLevel(PerfError):
    """perf_analyzer gave up on one load level: its windows never agreed within the tolerance.
    ``windows`` holds what each window saw (from its ``-v`` output)."""

    def __init__(self, message: str, windows: list[WindowSeen]) -> None:
        super().__init__(message)
        self.windows = windows


class RequestsFailed(PerfError):
    """perf_analyzer stopped because a request failed: the model answered with an error, so no
    window at this load is a measurement (perf_analyzer ends its run at the first one)."""


# a worker thread's error line, e.g. "Thread [0] had error: Failed to process the request(s) for
# model 'm_0', message: NameError: ..."; the backend's traceback follows on the next lines
_REQUEST_ERROR = re.compile(r"Thread \[\d+\] had error: (.+)")


class EmptyWindow(PerfError):
    """No request finished inside one of perf_analyzer's windows (a stall, e.g. just after a
    model was reloaded on a busy machine)."""


def parse_passes(output: str) -> list[WindowSeen]:
    """The windows perf_analyzer printed with ``-v`` (throughput and its stability latency)."""
    return [
        WindowSeen(float(tput), float(lat), kind.lower())
        for tput, kind, lat in _PASS.findall(output)
    ]


def profile_latencies(path: Path) -> dict[float, list[float]]:
    """Per-request latency (µs: last response minus send) of every request perf_analyzer kept,
    by load level, from its ``--profile-export-file`` JSON."""
    try:
        data = json.loads(path.read_text())
        out: dict[float, list[float]] = {}
        for experiment in data["experiments"]:
            load = float(experiment["experiment"]["value"])
            out[load] = [
                (r["response_timestamps"][-1] - r["timestamp"]) / 1000
                for r in experiment["requests"]
                if r.get("response_timestamps")
            ]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise PerfError(
            f"perf_analyzer's profile export {path} is unreadable ({type(exc).__name__}: {exc})"
        ) from exc
    return out


def stability_hint(interval_ms: int | None, percentage: float | None) -> str:
    """How to get a stable reading, naming the options of ``tritonops perf``."""
    now_interval = f" (now {interval_ms}ms)" if interval_ms is not None else ""
    now_pct = f" (now {percentage:g})" if percentage is not None else ""
    return (
        f"raise --interval{now_interval} or --stability-percentage{now_pct}, "
        "or give it more windows with --max-trials; a machine shared with other work varies "
        "by more than a few % between windows"
    )


def run_analyzer(
    options: AnalyzerOptions,
    *,
    binary: Path | str | None = None,
    timeout_s: float = 600.0,
) -> tuple[list[LevelResult], str]:
    """Run perf_analyzer (argv list) and return its levels and console output."""
    if options.csv_path is None:
        raise PerfError("run_analyzer needs options.csv_path (where perf_analyzer writes its CSV)")
    exe, env = ready_analyzer(binary)
    argv = options.argv(exe)
    try:
        done = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PerfError(
            f"perf_analyzer did not finish within {timeout_s:.0f} s — lower --max-trials or "
            "--interval"
        ) from exc
    except OSError as exc:
        raise PerfError(f"cannot start {exe}: {exc}") from exc
    # perf_analyzer may echo its arguments: a header value never leaves in a message
    output = scrub(done.stdout + done.stderr, [value for _, value in options.headers])
    if done.returncode != 0 or not options.csv_path.exists():
        tail = "\n".join(output.strip().splitlines()[-8:])
        if _UNSTABLE in output:
            seen = parse_passes(output)
            raise UnstableLevel(
                f"perf_analyzer found no stable measurement in {len(seen)} window(s) — "
                + stability_hint(options.measurement_interval_ms, options.stability_percentage),
                seen,
            )
        failed = _REQUEST_ERROR.search(output)
        if failed is not None:
            # perf_analyzer then also says "No valid requests recorded": not a short window
            raise RequestsFailed(
                f"a request failed and perf_analyzer stopped: {failed.group(1).strip()}"
            )
        if "No valid requests recorded" in output:
            raise EmptyWindow(
                f"perf_analyzer failed (exit {done.returncode}):\n{tail}\nno request finished "
                "inside a window — raise --interval (perf run, perf tune)"
            )
        raise PerfError(f"perf_analyzer failed (exit {done.returncode}):\n{tail}")
    return parse_csv(options.csv_path.read_text(), options.batch_size), output
