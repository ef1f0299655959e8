"""tritonops: build, render, validate, deploy, A/B test and measure models on Triton.

The command line (``tritonops --help``, docs/reference/cli.md) covers the whole flow. From Python:

- ``tritonops.client``: ``Client``/``AsyncClient`` for inference, ``Router``/``AsyncRouter`` for
  A/B traffic (docs/sdk.md);
- ``tritonops.spec.load_project``: the project file, validated (docs/project-guide.md), and
  ``tritonops.spec.schema.project_schema`` its JSON Schema;
- ``tritonops.repository.validate.validate_repository``: check any Triton model repository;
- ``tritonops.server.LocalTriton``: the embedded tritonserver as a context manager.

Every error raised on purpose is a ``TritonOpsError`` (the tree is in ``tritonops.errors``).
"""

from importlib.metadata import PackageNotFoundError, version

from tritonops.errors import TritonOpsError

try:
    __version__ = version("tritonops")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["TritonOpsError", "__version__"]
