"""Performance: perf_analyzer or the built-in load generator, reports, compare, and tune.

::

    result = measure(MeasureSpec(model="m", url="127.0.0.1:8001", concurrency=(1, 4, 8)))
    write_report(result, Path("perf-report"))   # result.json, report.md, report.png
    best = tune(config, live_measurer(url, config)[0]).best   # the tuner, on a live server
"""

from tritonops.perf.compare import Comparison, compare
from tritonops.perf.engine import EngineChoice, MeasureSpec, measure
from tritonops.perf.llm import LlmSpec, is_llm, measure_llm
from tritonops.perf.llm_metrics import LlmLevel
from tritonops.perf.result_files import write_report
from tritonops.perf.results import Latency, LevelResult, PerfResult, ServerTimes
from tritonops.perf.tune import SearchSpace, Trial, TuneResult, tune
from tritonops.perf.tune_live import apply_to_project, live_measurer

__all__ = [
    "Comparison",
    "EngineChoice",
    "Latency",
    "LevelResult",
    "LlmLevel",
    "LlmSpec",
    "MeasureSpec",
    "PerfResult",
    "SearchSpace",
    "ServerTimes",
    "Trial",
    "TuneResult",
    "apply_to_project",
    "compare",
    "is_llm",
    "live_measurer",
    "measure",
    "measure_llm",
    "tune",
    "write_report",
]
