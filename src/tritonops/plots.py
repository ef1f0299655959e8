"""Axis rules every report plot follows, so a person reads the numbers without decoding them.

- Latency axes label plain milliseconds ("2", "5", "10"), never matplotlib's log-scale default
  of mathtext powers ("2×10⁰").
- Rates and fractions that cannot be negative start at 0; an axis with nothing to show says so.
- Counts (concurrency, batch size) tick on integers only.
- Time is binned by a round width sized to the run and the traffic, not a fixed bin count.
- Legends sit outside the data area.

matplotlib's Agg backend is selected before pyplot loads: files only, never a window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

# round bin widths, seconds: a reader compares "per 0.5 s" bins at a glance, not "per 0.137 s"
NICE_WIDTHS_S = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
                 900, 1800, 3600)  # fmt: skip
MIN_PER_BIN = 30  # requests per bin of the thinnest arm: a rate from 30 events is ±18 % (1/√30)
MAX_BINS = 60


def plain_number(value: float, _position: float | None = None) -> str:
    """A tick label as a person writes it: 2, 0.5, 150 (no powers of ten, no trailing zeros)."""
    return f"{value:g}" if value >= 0.01 or value == 0 else f"{value:.2g}"


def plain_ms_axis(axis: Axis, *, log: bool) -> None:
    """Label a latency axis in plain ms; on a log scale, ticks at 1-2-5 of each decade."""
    if log:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(FuncFormatter(plain_number))


def integer_axis(axis: Axis) -> None:
    """Ticks on whole numbers only (concurrency, batch size)."""
    axis.set_major_locator(MaxNLocator(integer=True))


def non_negative(axes: Axes, top: float | None = None) -> None:
    """A rate or a count: the axis starts at 0 (``top`` fixes the upper end when data is flat)."""
    if top is not None:
        axes.set_ylim(0, top)
    else:
        axes.set_ylim(bottom=0)


def say_empty(axes: Axes, message: str) -> None:
    """An axis with no data names why instead of showing an empty frame."""
    axes.set_xticks([])
    axes.set_yticks([])
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes, color="0.35")


def legend_outside(axes: Axes) -> None:
    """The legend right of the axes: it never covers a line or a bar."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def bin_width(span_s: float, counts: Sequence[int]) -> float:
    """The round bin width for a run of ``span_s`` seconds whose arms sent ``counts`` requests.

    The thinnest arm (among those with ≥ ``MIN_PER_BIN`` requests) gets about ``MIN_PER_BIN``
    requests per bin, so its rate is not noise; never more than ``MAX_BINS`` bins; a run too
    short or too thin for two bins gets one bin as wide as the run."""
    span_s = max(span_s, 1e-6)
    busy = [c for c in counts if c >= MIN_PER_BIN]
    if not busy:
        return span_s
    wanted = max(span_s * MIN_PER_BIN / min(busy), span_s / MAX_BINS)
    for width in NICE_WIDTHS_S:
        if width >= wanted:
            return width if width * 2 <= span_s else span_s
    return max(NICE_WIDTHS_S[-1], math.ceil(wanted / 3600) * 3600)


def time_edges(span_s: float, width: float) -> npt.NDArray[np.float64]:
    """Bin edges from 0 by ``width`` covering ``span_s``; a last sliver shorter than half a bin
    joins the bin before it (a rate over a 10 ms sliver is noise)."""
    count = max(1, math.floor(span_s / width))
    edges = np.arange(count + 1, dtype=np.float64) * width
    if span_s - edges[-1] >= width / 2:
        edges = np.append(edges, span_s)
    else:
        edges[-1] = max(edges[-1], span_s)
    return edges
