"""The ONNX builder: a .onnx file, a torch module or a scikit-learn estimator to ``model.onnx``.

::

    builder = OnnxBuilder()
    builder.plan(ctx)          # the steps, without doing them
    builder.fingerprint(ctx)   # source hashes, options, tool versions (cheap, imports no torch)
    artifact = builder.build(ctx)  # BuildError, or OnnxParityError carrying ``.parity``

Sources and the factory contract: ``tritonops.builders.onnx.sources``; options:
``tritonops.spec.onnx_build.OnnxBuild``.
"""

from tritonops.builders.onnx.builder import BUILDER_VERSION, OnnxBuilder
from tritonops.builders.onnx.failures import OnnxParityError
from tritonops.builders.onnx.signature import DEFAULT_MAX_BATCH_SIZE

__all__ = ["BUILDER_VERSION", "DEFAULT_MAX_BATCH_SIZE", "OnnxBuilder", "OnnxParityError"]
