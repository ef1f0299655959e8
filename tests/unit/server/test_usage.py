"""CPU accounting by process tree: a busy child's time shows up under its command name."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tritonops.server.usage import children_cpu, self_cpu, tree_cpu

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

BUSY = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


def test_a_busy_descendant_is_counted_by_its_command_name() -> None:
    # a shell that starts the busy python: the python is a grandchild of the root we read
    child = subprocess.Popen(["sh", "-c", f'"{sys.executable}" -c "$0"; sleep 5', BUSY])
    try:
        deadline = time.monotonic() + 20
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            seen = tree_cpu(child.pid)
            if sum(v for k, v in seen.items() if k.startswith("python")) >= 0.25:
                break
            time.sleep(0.05)
        assert "sh" in seen
        assert sum(v for k, v in seen.items() if k.startswith("python")) >= 0.25, seen
    finally:
        child.kill()
        child.wait()


def test_an_unknown_root_has_no_time() -> None:
    assert tree_cpu(2**22 + 12345) == {}


def test_own_and_waited_children_time_grow() -> None:
    own = self_cpu()
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    assert self_cpu() > own
    before = children_cpu()
    subprocess.run([sys.executable, "-c", BUSY], check=True)
    assert children_cpu() - before >= 0.25
