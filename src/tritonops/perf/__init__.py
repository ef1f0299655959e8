"""Performance: perf_analyzer or the built-in load generator, reports, compare, and tune.

::

    result = measure(MeasureSpec(model="m", url="127.0.0.1:8001", concurrency=(1, 4, 8)))
    write_report(result, Path("perf-report"))   # result.json, report.md, report.png
"""

from tritonops.perf.compare import Comparison, compare
from tritonops.perf.engine import MeasureSpec, measure
from tritonops.perf.result_files import write_report
from tritonops.perf.results import Latency, LevelResult, PerfResult, ServerTimes

__all__ = [
    "Comparison",
    "Latency",
    "LevelResult",
    "MeasureSpec",
    "PerfResult",
    "ServerTimes",
    "compare",
    "measure",
    "write_report",
]
