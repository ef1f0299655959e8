"""CPU time of a process and its descendants, by command name (Linux ``/proc``).

Benchmarks read it before and after a measured window to say where the CPU went per request:
the load generator, ``tritonserver`` itself, and each python-backend stub. On a machine whose
cores the client and the server share, that split is what bounds served throughput.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, user+system seconds) of ``pid``, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command sits in parentheses and may hold spaces: split after its last ')'
    head, _, rest = text.rpartition(")")
    fields = rest.split()
    command = head.partition("(")[2]
    return command, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds used so far by ``root`` and every live descendant, summed per command name.

    Empty where ``/proc`` is missing (not Linux). A descendant that exited is not counted, so read
    it while the processes of interest are alive."""
    stats: dict[int, tuple[str, int, float]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    for entry in proc.iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                stats[int(entry.name)] = found
    children: dict[int, list[int]] = {}
    for pid, (_, parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, float] = {}
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in stats:
            command, _, seconds = stats[pid]
            totals[command] = totals.get(command, 0.0) + seconds
            stack.extend(children.get(pid, ()))
    return totals


def self_cpu() -> float:
    """User+system CPU seconds of this process (all its threads)."""
    times = os.times()
    return times.user + times.system


def children_cpu() -> float:
    """User+system CPU seconds of this process's children that have exited and been waited for
    (a finished perf_analyzer run, for one)."""
    times = os.times()
    return times.children_user + times.children_system
