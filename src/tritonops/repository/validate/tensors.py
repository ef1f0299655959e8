"""Inputs and outputs on their own: names, data types, dims, reshape, formats, batch I/O."""

from __future__ import annotations

import math
from typing import Any

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.backends import filled_fields
from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.values import python_source

_TRT_ONLY_FLAGS = ("is_shape_tensor", "is_non_linear_format_io")


def check_tensors(folder: ModelFolder) -> None:
    config = folder.config
    if config is None:
        return
    batching = config.max_batch_size > 0
    for kind, tensors in (("input", config.input), ("output", config.output)):
        seen: dict[str, int] = {}
        for i, tensor in enumerate(tensors):
            _one(folder, kind, i, tensor, batching)
            if tensor.name in seen:
                folder.report(
                    "TRITON-T009",
                    f"{kind} '{tensor.name}' is declared twice ({kind}[{seen[tensor.name]}] "
                    f"and {kind}[{i}])",
                    f"rename or remove one of the two '{tensor.name}' {kind}s",
                    path=f"{kind}[{i}].name",
                )
            elif tensor.name:
                seen[tensor.name] = i
    _batch_io(folder)
    _bf16_numpy(folder)


def _one(folder: ModelFolder, kind: str, i: int, tensor: Any, batching: bool) -> None:
    where = f"{kind}[{i}]"
    label = f"{kind} '{tensor.name}'" if tensor.name else f"{kind} #{i}"
    if not tensor.name:
        folder.report("TRITON-T001", f"{label} has no name", 'add `name: "..."`', path=where)
    # the backend's auto-complete may fill these in before Triton validates (backends.py)
    filled = filled_fields(folder, kind, tensor.name) if tensor.name else frozenset()
    if tensor.data_type == pb.TYPE_INVALID and "data_type" not in filled:
        folder.report(
            "TRITON-T002",
            f"{label} must specify data_type",
            "add e.g. `data_type: TYPE_FP32`",
            path=where,
        )
    dims = list(tensor.dims)
    if not dims and "dims" not in filled:
        folder.report(
            "TRITON-T003",
            f"{label} must specify dims",
            "add e.g. `dims: [ -1 ]` (a scalar per batch item is `dims: [ 1 ]`)",
            path=where,
        )
    _dims_range(folder, f"{where}.dims", label, dims)
    if tensor.HasField("reshape"):
        _reshape(folder, where, label, dims, list(tensor.reshape.shape), batching)
    image = kind == "input" and tensor.format in (
        pb.ModelInput.FORMAT_NHWC,
        pb.ModelInput.FORMAT_NCHW,
    )
    if image and len(dims) != 3:
        fmt = pb.ModelInput.Format.Name(tensor.format)
        folder.report(
            "TRITON-T006",
            f"{label} has format {fmt} but {len(dims)} dims; image formats need 3",
            "give 3 dims (e.g. [3, 224, 224]) or drop the format",
            path=f"{where}.format",
        )
    if tensor.is_non_linear_format_io and folder.backend == "tensorrt" and len(dims) != 3:
        # core src/model_config_utils.cc (ValidateNonLinearFormatIO): such a tensor has 3 dims
        folder.report(
            "TRITON-T006",
            f"{label} is a non-linear format tensor with {len(dims)} dims; Triton requires 3",
            "give 3 dims (C, H, W without the batch dim) or drop is_non_linear_format_io",
            path=f"{where}.is_non_linear_format_io",
        )
    if folder.backend != "tensorrt":
        for flag in _TRT_ONLY_FLAGS:
            if getattr(tensor, flag):
                folder.report(
                    "TRITON-T007",
                    f"{label} sets {flag}, which only the TensorRT backend supports",
                    f"remove `{flag}: true`",
                    path=f"{where}.{flag}",
                )


def _dims_range(folder: ModelFolder, path: str, label: str, dims: list[int]) -> None:
    for j, dim in enumerate(dims):
        if dim < 1 and dim != -1:
            folder.report(
                "TRITON-T004",
                f"{label} dimension {j} is {dim}; each must be >= 1, or -1 for variable size",
                "use a positive size or -1",
                path=f"{path}[{j}]",
            )


def _chunks(shape: list[int]) -> list[int]:
    """Element counts between -1 dims (Triton compares reshape chunk by chunk)."""
    out, run = [], 1
    for dim in shape:
        if dim == -1:
            out.append(run)
            run = 1
        else:
            run *= dim
    out.append(run)
    return out


def _reshape(
    folder: ModelFolder, where: str, label: str, dims: list[int], shape: list[int], batching: bool
) -> None:
    path = f"{where}.reshape"
    if not shape:
        if not batching or math.prod(dims) != 1 or -1 in dims:
            folder.report(
                "TRITON-T005",
                f"{label} has an empty reshape, allowed only for a batching model whose dims "
                f"hold one element (max_batch_size > 0, dims [1]); got dims {dims}",
                "drop the reshape or give it a shape with as many elements as dims",
                path=path,
            )
        return
    _dims_range(folder, f"{path}.shape", label, shape)
    if _chunks(dims) != _chunks(shape):
        folder.report(
            "TRITON-T005",
            f"{label} reshape {shape} does not hold the same number of elements as dims {dims}",
            "make the products of the sizes between -1 dims equal on both sides",
            path=path,
        )


def _batch_io(folder: ModelFolder) -> None:
    config = folder.config
    assert config is not None
    inputs = {t.name for t in config.input}
    outputs = {t.name for t in config.output}
    for i, item in enumerate(config.batch_input):
        where = f"batch_input[{i}]"
        if item.data_type not in (pb.TYPE_INT32, pb.TYPE_FP32):
            folder.report(
                "TRITON-T011",
                f"batch_input #{i} has data_type {pb.DataType.Name(item.data_type)}; batch "
                "inputs must be TYPE_INT32 or TYPE_FP32",
                "set `data_type: TYPE_INT32` or TYPE_FP32",
                path=f"{where}.data_type",
            )
        if len(item.source_input) != 1:
            folder.report(
                "TRITON-T011",
                f"batch_input #{i} lists {len(item.source_input)} source inputs; it needs one",
                "list exactly one model input in `source_input`",
                path=where,
            )
        for source in item.source_input:
            if source not in inputs:
                folder.report(
                    "TRITON-T011",
                    f"batch_input #{i} source '{source}' is not an input of '{folder.name}'",
                    f"use one of the declared inputs: {', '.join(sorted(inputs)) or 'none'}",
                    path=f"{where}.source_input",
                )
    targets: set[str] = set()
    for i, item in enumerate(config.batch_output):
        # core src/model_config_utils.cc (ValidateBatchIO): BATCH_SCATTER_WITH_INPUT_SHAPE, the
        # only batch output kind, takes its shape from exactly one source input.
        if len(item.source_input) != 1:
            folder.report(
                "TRITON-T011",
                f"batch_output #{i} ({pb.BatchOutput.Kind.Name(item.kind)}) lists "
                f"{len(item.source_input)} source inputs; it needs exactly one",
                "list the one model input whose shape the output is scattered by",
                path=f"batch_output[{i}]",
            )
        for target in item.target_name:
            if target not in outputs or target in targets:
                folder.report(
                    "TRITON-T011",
                    f"batch_output #{i} target '{target}' is "
                    + ("named twice" if target in targets else "not an output of the model"),
                    "each batch_output target must be a declared output, named once",
                    path=f"batch_output[{i}].target_name",
                )
            targets.add(target)
        for source in item.source_input:
            if source not in inputs:
                folder.report(
                    "TRITON-T011",
                    f"batch_output #{i} source '{source}' is not an input of '{folder.name}'",
                    "use a declared input name in `source_input`",
                    path=f"batch_output[{i}].source_input",
                )


def _bf16_numpy(folder: ModelFolder) -> None:
    """TYPE_BF16 reaches a python model only through DLPack.

    python_backend README (pb_utils.Tensor.as_numpy): BF16 tensors do not support as_numpy();
    numpy has no bfloat16, so the stub raises "TYPE_BF16 not currently supported"
    (src/pb_stub_utils.cc). The backends' dtype tables map BF16 for TensorRT, onnxruntime
    (src/onnxruntime_utils.cc), OpenVINO (src/openvino_utils.cc), PyTorch and python, so the type
    itself is never the problem; a python model that calls as_numpy() on it may be.
    """
    config = folder.config
    assert config is not None
    if folder.backend != "python":
        return
    tensors = [(k, i, t) for k in ("input", "output") for i, t in enumerate(getattr(config, k))]
    bf16 = [(k, i, t) for k, i, t in tensors if t.data_type == pb.TYPE_BF16]
    if not bf16 or ".as_numpy(" not in python_source(folder):
        return
    kind, i, tensor = bf16[0]
    folder.report(
        "TRITON-T008",
        f"{kind} '{tensor.name}' is TYPE_BF16 and model.py calls as_numpy(), which the python "
        "backend does not support for BF16 tensors",
        "read and write BF16 tensors with to_dlpack()/from_dlpack() (e.g. through torch)",
        path=f"{kind}[{i}].data_type",
    )
