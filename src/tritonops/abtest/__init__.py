"""A/B experiments that decide: run traffic through the Router, compare, promote / hold / roll back.

::

    result = run_experiment("digits-v2", project="tritonops.yaml", url="127.0.0.1:8001",
                            requests=2000, concurrency=8, report_dir=Path("ab-report"))
    result.decision     # "promote" | "hold" | "rollback";  result.exit_code 0 | 3 | 4
    state = run_ramp("digits-v2", project="tritonops.yaml", url=..., steps=[1, 5, 25, 50, 100],
                     requests=400, concurrency=4)
    state.status        # "completed" | "rolled_back"

Both live in ``tritonops.abtest.experiment``; the decision rule in ``tritonops.abtest.verdict``;
the report schema in ``tritonops.abtest.schema`` and docs/abtest-report.md.
"""

from tritonops.abtest.endpoint import resolve_url
from tritonops.abtest.experiment import (
    ExperimentResult,
    default_requests,
    run_experiment,
    run_ramp,
)
from tritonops.abtest.llm import LlmExperimentResult, run_llm_experiment
from tritonops.abtest.ramp import RampState, parse_steps
from tritonops.abtest.runner import RequestSample
from tritonops.abtest.schema import Report, load_report
from tritonops.abtest.verdict import EXIT_CODES, Policy, Verdict, decide
from tritonops.errors import ExperimentError

__all__ = [
    "EXIT_CODES",
    "ExperimentError",
    "ExperimentResult",
    "LlmExperimentResult",
    "Policy",
    "RampState",
    "Report",
    "RequestSample",
    "Verdict",
    "decide",
    "default_requests",
    "load_report",
    "parse_steps",
    "resolve_url",
    "run_experiment",
    "run_llm_experiment",
    "run_ramp",
]
