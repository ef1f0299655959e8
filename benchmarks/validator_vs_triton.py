"""Validator verdicts against a real tritonserver, repository by repository.

Every repository of the validator's test corpus (``tests/unit/validate``: the broken corpus and
``triton_cases``) is written to a temporary folder, validated, then served by an embedded Triton
(``check_repository_loads``: load each model, one smoke inference each). Triton's verdict is
``ok`` when every model is READY (or SKIPPED, decoupled), ``fail`` when one is FAILED or ERROR.
Left out of the score, and listed with the reason: a config valid only on a GPU host (KIND_GPU on
this CPU-only server), and cases whose ``harness`` note says why this embedded server cannot judge
them as a production Triton would (its python-based onnxruntime backend, the smoke request).

    .venv/bin/python benchmarks/validator_vs_triton.py [--only NAME] [--workers 2] [--json out.json]

Prints one row per repository, then false positives (validator error, Triton serves it), misses
(Triton fails it, validator has no error) and the agreement.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "unit" / "validate"
sys.path.insert(0, str(_CORPUS))

from repo_builder import Repo  # noqa: E402
from triton_cases import TritonCase, all_cases  # noqa: E402

from tritonops.deploy.check import check_repository_loads  # noqa: E402
from tritonops.errors import TritonOpsError  # noqa: E402

_NO_GPU = "no GPUs are available"


@dataclass(frozen=True)
class Row:
    """One repository: what we expected, what Triton did, what the validator said."""

    case: str
    expected: str
    triton: str  # ok, fail, gpu (excluded: needs a GPU host)
    validator: str  # ok, error
    codes: list[str]  # error codes, then warnings in parentheses
    states: list[str]  # model:STATE per served model
    detail: str  # the first failing model's reason, one line
    seconds: float
    harness: str  # why this server's verdict does not count, if it does not

    @property
    def scored(self) -> bool:
        return self.triton != "gpu" and not self.harness

    @property
    def agrees(self) -> bool:
        return (self.triton == "fail") == (self.validator == "error")


def run_case(case: TritonCase, work: Path, load_timeout_s: float) -> Row:
    root = work / case.name
    repo = Repo(root).files(case.files)
    report = repo.validate()
    codes = sorted({d.code for d in report.errors}) + [
        f"({c})" for c in sorted({d.code for d in report.warnings})
    ]
    started = time.perf_counter()
    states: list[str] = []
    detail = ""
    try:
        results = check_repository_loads(root, load_timeout_s=load_timeout_s)
    except TritonOpsError as exc:  # the server itself would not start on this repository
        triton, detail = "fail", f"server: {exc}"
    else:
        states = [f"{r.model}:{r.state}" for r in results]
        failed = [r for r in results if r.state not in ("READY", "SKIPPED")]
        if any(_NO_GPU in r.detail for r in failed) or case.expected == "gpu":
            triton = "gpu"
        else:
            triton = "fail" if failed else "ok"
        if failed:
            detail = f"{failed[0].model}: {failed[0].detail}"
    return Row(
        case=case.name,
        expected=case.expected,
        triton=triton,
        validator="ok" if report.valid else "error",
        codes=codes,
        states=states,
        detail=" ".join(detail.split())[:300],
        seconds=time.perf_counter() - started,
        harness=case.harness,
    )


def print_table(rows: Sequence[Row]) -> None:
    width = max(len(r.case) for r in rows)
    print(f"{'repository':<{width}}  expected  triton  validator  agree  codes")
    for r in rows:
        mark = "-" if not r.scored else ("yes" if r.agrees else "NO")
        print(
            f"{r.case:<{width}}  {r.expected:<8}  {r.triton:<6}  {r.validator:<9}  {mark:<5}  "
            + " ".join(r.codes)
        )
        if r.scored and not r.agrees:
            print(f"{'':<{width}}    states: {' '.join(r.states)}")
            print(f"{'':<{width}}    triton: {r.detail}")


def print_summary(rows: Sequence[Row], seconds: float) -> None:
    scored = [r for r in rows if r.scored]
    false_positives = [r for r in scored if r.triton == "ok" and r.validator == "error"]
    misses = [r for r in scored if r.triton == "fail" and r.validator == "ok"]
    agree = sum(r.agrees for r in scored)
    served = [r for r in scored if r.triton == "ok"]
    failing = [r for r in scored if r.triton == "fail"]
    surprises = [r for r in scored if (r.expected == "defect") != (r.triton == "fail")]
    print()
    print(f"repositories: {len(rows)}, scored: {len(scored)}")
    for r in rows:
        if not r.scored:
            why = r.harness or "valid on a GPU host; this server has none"
            print(f"  left out {r.case} (triton {r.triton}, validator {r.validator}): {why}")
    print(f"triton serves: {len(served)}, triton fails: {len(failing)}")
    print(f"false positives (validator error, triton ok): {len(false_positives)}")
    for r in false_positives:
        print(f"  {r.case}: {' '.join(r.codes)}")
    print(f"misses (triton fails, validator no error): {len(misses)}")
    for r in misses:
        print(f"  {r.case}: {r.detail}")
    flagged = len(failing) - len(misses)
    if failing:
        print(f"defects flagged: {flagged}/{len(failing)} = {100 * flagged / len(failing):.1f} %")
    if scored:
        print(f"agreement: {agree}/{len(scored)} = {100 * agree / len(scored):.1f} %")
    print(f"expectation differs from triton: {', '.join(r.case for r in surprises) or 'none'}")
    print(f"wall time: {seconds:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", action="append", default=[], help="case name substring")
    parser.add_argument("--workers", type=int, default=1, help="servers run side by side")
    parser.add_argument("--load-timeout", type=float, default=20.0, help="seconds per model load")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    cases = [c for c in all_cases() if not args.only or any(o in c.name for o in args.only)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="validator-vs-triton-") as tmp:
        work = Path(tmp)
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            rows = list(pool.map(lambda c: run_case(c, work, args.load_timeout), cases))
    print_table(rows)
    print_summary(rows, time.perf_counter() - started)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
