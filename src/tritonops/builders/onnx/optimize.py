"""Graph transforms after export: onnxruntime's offline optimization, fp16, dynamic int8.

Each takes and returns a ModelProto; files only pass through a private temporary folder, since
onnxruntime's optimizer and quantizer read and write paths.
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import onnx

from tritonops.builders.onnx.failures import failing, quiet
from tritonops.spec.onnx_build import Optimize


def optimize_graph(model: onnx.ModelProto, level: Optimize, name: str) -> onnx.ModelProto:
    """The graph as onnxruntime optimizes it at ``level`` (saved via optimized_model_filepath)."""
    import onnxruntime as ort

    levels = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    with tempfile.TemporaryDirectory(prefix="tritonops-onnx-") as tmp:
        out = Path(tmp) / "optimized.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = levels[level]
        options.optimized_model_filepath = str(out)
        with failing(name, f"onnxruntime optimization ({level})", "use optimize: basic or none"):
            ort.InferenceSession(
                model.SerializeToString(), options, providers=["CPUExecutionProvider"]
            )
            return onnx.load(str(out))


def fp16_tool() -> str:
    """The package that converts to fp16: onnxconverter-common when installed, else onnxruntime."""
    return "onnxconverter-common" if _has("onnxconverter_common") else "onnxruntime"


def to_fp16(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """Weights and activations in fp16, inputs and outputs kept float32 so configs don't change."""
    if fp16_tool() == "onnxconverter-common":
        from onnxconverter_common.float16 import convert_float_to_float16
    else:
        from onnxruntime.transformers.float16 import convert_float_to_float16
    # both converters keep their default block list (ai.onnx.ml ops and others without fp16
    # kernels) in float32 and insert the casts around them
    # the converters edit the graph in place; the caller may still need the float32 one
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    with failing(name, "fp16 conversion", "drop fp16"), quiet(""):
        converted: onnx.ModelProto = convert_float_to_float16(copy, keep_io_types=True)
        # onnxruntime's copy appends the input casts after their consumers; the checker wants order
        from onnxruntime.transformers.onnx_model import OnnxModel

        OnnxModel(converted).topological_sort()
    return converted


def quantize_int8(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """Weights to int8, activations quantized per batch at run time (no calibration data)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="tritonops-onnx-") as tmp:
        source, out = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, str(source))
        # the quantizer logs a pre-processing hint on the root logger for every model
        with failing(name, "int8 dynamic quantization", "use quantize: none"), quiet(""):
            # 7-bit weights: on x86 CPUs without VNNI, onnxruntime multiplies uint8 activations by
            # int8 weights in 16-bit lanes that saturate (see reduce_range in onnxruntime's
            # quantization/quantize.py). Measured here (AVX2, onnxruntime 1.32) on a small MLP:
            # max abs error 0.26 and top-1 agreement 0.875 at full range, 0.009 and 1.0 with it.
            quantize_dynamic(source, out, weight_type=QuantType.QInt8, reduce_range=True)
            return onnx.load(str(out))


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None
