"""What the ONNX graph says: its opset against the runtime, its validity, and its IO signature."""

from __future__ import annotations

import functools
from typing import Any

import onnx
from onnx import TensorProto

from tritonops.builders.base import IOSignature
from tritonops.builders.onnx.failures import failing
from tritonops.errors import BuildError
from tritonops.model_config import DataType, ModelInput, ModelOutput, Reshape

# what a batched artifact reports; the orchestrator uses the model's own max_batch_size when set
DEFAULT_MAX_BATCH_SIZE = 8

_DATA_TYPES: dict[int, DataType] = {
    TensorProto.BOOL: DataType.TYPE_BOOL,
    TensorProto.UINT8: DataType.TYPE_UINT8,
    TensorProto.UINT16: DataType.TYPE_UINT16,
    TensorProto.UINT32: DataType.TYPE_UINT32,
    TensorProto.UINT64: DataType.TYPE_UINT64,
    TensorProto.INT8: DataType.TYPE_INT8,
    TensorProto.INT16: DataType.TYPE_INT16,
    TensorProto.INT32: DataType.TYPE_INT32,
    TensorProto.INT64: DataType.TYPE_INT64,
    TensorProto.FLOAT16: DataType.TYPE_FP16,
    TensorProto.FLOAT: DataType.TYPE_FP32,
    TensorProto.DOUBLE: DataType.TYPE_FP64,
    TensorProto.STRING: DataType.TYPE_STRING,
    TensorProto.BFLOAT16: DataType.TYPE_BF16,
}


@functools.cache
def runtime_max_opsets() -> dict[str, int]:
    """The newest opset per domain that both onnx and the installed onnxruntime know.

    onnxruntime refuses a model whose opset is past the newest schema compiled into it; its schema
    registry says which that is. Where a build lacks the registry, onnx's own newest is the bound.
    """
    limits = {"": onnx.defs.onnx_opset_version()}
    limits["ai.onnx.ml"] = max(
        (
            s.since_version
            for s in onnx.defs.get_all_schemas_with_history()
            if s.domain == "ai.onnx.ml"
        ),
        default=1,
    )
    try:
        from onnxruntime.capi import _pybind_state

        schemas: list[Any] = _pybind_state.get_all_operator_schema()
    except (ImportError, AttributeError):
        return limits
    for domain in list(limits):
        known = [s.since_version for s in schemas if s.domain == domain]
        if known:
            limits[domain] = min(limits[domain], max(known))
    return limits


def opsets(model: onnx.ModelProto) -> dict[str, int]:
    return {("" if o.domain == "ai.onnx" else o.domain): o.version for o in model.opset_import}


def check_opset(model: onnx.ModelProto, name: str) -> None:
    """BuildError when the graph needs an opset newer than onnxruntime runs."""
    import onnxruntime

    limits = runtime_max_opsets()
    for domain, version in opsets(model).items():
        limit = limits.get(domain)
        if limit is not None and version > limit:
            shown = domain or "the default domain (ai.onnx)"
            fix = f"set onnx.opset: {limit}" if domain == "" else "export with an older converter"
            raise BuildError(
                f"model {name!r} uses opset {version} of {shown}, newer than onnxruntime"
                f" {onnxruntime.__version__} with onnx {onnx.__version__} supports (max {limit})"
                f" — {fix}"
            )


def checked(model: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """``onnx.checker`` on the model, then the model with inferred shapes filled in."""
    with failing(name, "onnx.checker", "the graph is invalid; re-export it"):
        onnx.checker.check_model(model)
    with failing(name, "onnx shape inference", "re-export the model with static ranks"):
        return onnx.shape_inference.infer_shapes(model)


def graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The real inputs: old exporters also list every initializer as an input."""
    initializers = {i.name for i in model.graph.initializer}
    return [v for v in model.graph.input if v.name not in initializers]


def dims_of(value: onnx.ValueInfoProto) -> list[int | str | None] | None:
    """Each dim as a size, a symbol, or None (unknown); None when even the rank is unknown."""
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type" or not value.type.tensor_type.HasField("shape"):
        return None
    out: list[int | str | None] = []
    for dim in value.type.tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            out.append(dim.dim_value)
        elif dim.HasField("dim_param"):
            out.append(dim.dim_param)
        else:
            out.append(None)
    return out


def elem_type(value: onnx.ValueInfoProto) -> int:
    if value.type.WhichOneof("value") != "tensor_type":
        return TensorProto.UNDEFINED
    return int(value.type.tensor_type.elem_type)


def has_batch_axis(model: onnx.ModelProto) -> bool:
    """True when every input and output has a first dim that is not a fixed size."""
    values = [*graph_inputs(model), *model.graph.output]
    for value in values:
        dims = dims_of(value)
        if not dims or isinstance(dims[0], int):
            return False
    return bool(values)


def io_signature(model: onnx.ModelProto, name: str) -> IOSignature:
    """Triton's view of the graph: batch axis dropped when dynamic, other symbols as -1."""
    batched = has_batch_axis(model)
    inputs = tuple(
        ModelInput(name=v.name, data_type=_data_type(v, name), **_shape(v, batched))
        for v in graph_inputs(model)
    )
    outputs = tuple(
        ModelOutput(name=v.name, data_type=_data_type(v, name), **_shape(v, batched))
        for v in model.graph.output
    )
    return IOSignature(inputs, outputs, DEFAULT_MAX_BATCH_SIZE if batched else 0)


def _data_type(value: onnx.ValueInfoProto, name: str) -> DataType:
    found = _DATA_TYPES.get(elem_type(value))
    if found is None:
        raise BuildError(
            f"model {name!r}: tensor {value.name!r} has ONNX type"
            f" {TensorProto.DataType.Name(elem_type(value))}, which Triton has no type for"
            " — cast it to a supported type in the graph"
        )
    return found


def _shape(value: onnx.ValueInfoProto, batched: bool) -> dict[str, Any]:
    dims = dims_of(value)
    if dims is None:
        return {"dims": [-1]}  # rank unknown: one variable dim is the most Triton can be told
    sizes = [d if isinstance(d, int) and d > 0 else -1 for d in dims]
    if batched:
        sizes = sizes[1:]
    if not sizes:
        # a [batch] tensor: Triton wants dims [1] reshaped to the empty shape
        return {"dims": [1], "reshape": Reshape(shape=[])}
    return {"dims": sizes}
