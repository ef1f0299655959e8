"""Cold build vs no-op rebuild of examples/quickstart, in one run (target: no-op under 1 s).

Then one edit to a file no factory imports: only the model that owns it rebuilds.

The cold build trains and converts both classifiers, checks parity, renders and validates; the
no-op rebuild hashes sources, finds every lineage key unchanged and leaves the repository alone.
Run: .venv/bin/python benchmarks/build_cache.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from tritonops.builders.run import build_project

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "quickstart"
        shutil.copytree(
            EXAMPLE, project, ignore=shutil.ignore_patterns(".tritonops", "model_repository")
        )
        start = time.perf_counter()
        cold = build_project(project / "tritonops.yaml")
        cold_s = time.perf_counter() - start
        noop_runs = []
        for _ in range(5):
            start = time.perf_counter()
            again = build_project(project / "tritonops.yaml")
            noop_runs.append(time.perf_counter() - start)
            assert again.built == [], "a no-op rebuild built something"
        noop_s = sorted(noop_runs)[len(noop_runs) // 2]
        # a comment in the python model's file: the classifiers' factory never imports it
        unrelated = project / "models" / "preprocess" / "model.py"
        unrelated.write_text(unrelated.read_text() + "\n# an edit no classifier depends on\n")
        start = time.perf_counter()
        edited = build_project(project / "tritonops.yaml")
        edited_s = time.perf_counter() - start
        assert edited.built == ["preprocess"], f"an unrelated edit rebuilt {edited.built}"
    print(f"cold build ({', '.join(cold.built)}):  {cold_s:8.3f} s")
    print(f"no-op rebuild (median of 5):            {noop_s:8.3f} s  (target < 1 s)")
    print(f"edit in preprocess/model.py (rebuilt {', '.join(edited.built)}): {edited_s:6.3f} s")
    print(f"no-op / cold:                           {noop_s / cold_s:8.4f}")


if __name__ == "__main__":
    main()
