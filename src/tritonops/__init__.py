"""tritonops: build, render, validate, deploy, A/B test and measure models on Triton."""

from importlib.metadata import PackageNotFoundError, version

from tritonops.errors import TritonOpsError

try:
    __version__ = version("tritonops")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["TritonOpsError", "__version__"]
