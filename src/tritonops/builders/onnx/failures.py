"""The one boundary where onnx, onnxruntime, torch and scikit-learn errors become BuildErrors."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator

from tritonops.builders.base import ParityResult
from tritonops.errors import BuildError, ParityError

TORCH_EXTRA = "pip install 'tritonops[torch]'"
ONNX_EXTRA = "pip install 'tritonops[onnx]'"


class OnnxParityError(ParityError):
    """A ParityError that carries the measured numbers, so the orchestrator can record them."""

    def __init__(self, message: str, parity: ParityResult) -> None:
        super().__init__(message)
        self.parity = parity


@contextlib.contextmanager
def failing(model: str, step: str, fix: str) -> Iterator[None]:
    """Turn a foreign error inside into ``BuildError("model 'x': <step> failed: ... — <fix>")``."""
    try:
        yield
    except BuildError:
        raise
    except Exception as exc:  # every foreign library has its own tree; they all end here
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildError(f"model {model!r}: {step} failed: {reason} — {fix}") from exc


@contextlib.contextmanager
def quiet(*loggers: str) -> Iterator[io.StringIO]:
    """Silence a library's prints, warnings and chatty loggers; the prints are kept for errors.

    torch's exporter prints progress and warns about its own internals (FutureWarning); none of it
    is the user's to act on, and under ``-W error`` a foreign warning would fail the build.
    """
    captured = io.StringIO()
    levels = {name: logging.getLogger(name).level for name in loggers}
    try:
        for name in loggers:
            logging.getLogger(name).setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured):
            warnings.simplefilter("ignore")
            yield captured
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def require(module: str, model: str, install: str) -> None:
    """BuildError naming the install command when an optional package is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise BuildError(f"model {model!r} needs the {module!r} package, not installed — {install}")
