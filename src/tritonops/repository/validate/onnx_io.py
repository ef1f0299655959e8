"""onnxruntime models: the config's tensors against the signature stored in model.onnx.

These are the checks the onnxruntime backend makes when it loads the model (reference §3): input
count, names, data types, ranks and fixed dims, and no optional inputs when batching. Only the graph
header is read (``load_external_data=False``), so large weights are never loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import onnx
from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.ort_rules import (
    BOOL_PARAMETERS,
    GPU_CHOICES,
    accelerator_problems,
    parameter_problems,
    shown,
    unsupported_io,
)
from tritonops.repository.validate.safe_read import read_model

# onnx.TensorProto element type -> Triton data type
_TYPES = {
    onnx.TensorProto.FLOAT: pb.TYPE_FP32,
    onnx.TensorProto.UINT8: pb.TYPE_UINT8,
    onnx.TensorProto.INT8: pb.TYPE_INT8,
    onnx.TensorProto.UINT16: pb.TYPE_UINT16,
    onnx.TensorProto.INT16: pb.TYPE_INT16,
    onnx.TensorProto.INT32: pb.TYPE_INT32,
    onnx.TensorProto.INT64: pb.TYPE_INT64,
    onnx.TensorProto.STRING: pb.TYPE_STRING,
    onnx.TensorProto.BOOL: pb.TYPE_BOOL,
    onnx.TensorProto.FLOAT16: pb.TYPE_FP16,
    onnx.TensorProto.DOUBLE: pb.TYPE_FP64,
    onnx.TensorProto.UINT32: pb.TYPE_UINT32,
    onnx.TensorProto.UINT64: pb.TYPE_UINT64,
    onnx.TensorProto.BFLOAT16: pb.TYPE_BF16,
}


# onnx TypeProto's value kinds -> how onnxruntime's Python API begins the type's name, which is
# what the stand-in's contract reads (ort_contract.unsupported_io)
_ORT_PREFIX = {
    "tensor_type": "tensor(",
    "sequence_type": "seq(",
    "map_type": "map(",
    "sparse_tensor_type": "sparse_tensor(",
    "opaque_type": "opaque(",
    "optional_type": "optional(",
}


@dataclass(frozen=True)
class OnnxTensor:
    name: str
    data_type: int | None  # Triton DataType, None when unmapped or unknown
    shape: tuple[int, ...] | None  # -1 for symbolic dims; None when the rank is unknown
    unsupported: str | None = None  # the backend's refusal of a value that is not a tensor


def read_signature(path: Path) -> tuple[list[OnnxTensor], list[OnnxTensor]]:
    """Graph inputs (initializers excluded) and outputs of an ONNX file; raises on a bad file."""
    inputs, _, outputs = read_graph(path)
    return inputs, outputs


def read_graph(path: Path) -> tuple[list[OnnxTensor], list[OnnxTensor], list[OnnxTensor]]:
    """Required inputs, overridable initializers (graph inputs with a stored value), outputs."""
    model = onnx.load_model_from_string(read_model(path))
    graph = model.graph
    weights = {t.name for t in graph.initializer}
    inputs = [_tensor(v) for v in graph.input if v.name not in weights]
    overridable = [_tensor(v) for v in graph.input if v.name in weights]
    return inputs, overridable, [_tensor(v) for v in graph.output]


def _tensor(value: Any) -> OnnxTensor:
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type":
        # no type at all (kind None) is left to onnxruntime's own loader to judge
        refused = unsupported_io(value.name, _ORT_PREFIX.get(kind, "")) if kind else None
        return OnnxTensor(value.name, None, None, refused)
    tensor = value.type.tensor_type
    shape = None
    if tensor.HasField("shape"):
        shape = tuple(
            d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1
            for d in tensor.shape.dim
        )
    return OnnxTensor(value.name, _TYPES.get(tensor.elem_type), shape)


def check_onnx(folder: ModelFolder) -> None:
    config = folder.config
    if folder.backend != "onnxruntime" or (config is None and folder.config_present):
        return  # another backend, or a config that does not parse (reported already)
    if config is None:
        # no config.pbtxt: auto-complete reads the graph, and stops at a non-tensor I/O
        for version in folder.selected:
            if folder.versions[version].isdigit():
                _check_file(folder, version)
        return
    if config.max_batch_size > 0:
        for i, tensor in enumerate(config.input):
            if tensor.optional:
                folder.report(
                    "TRITON-O006",
                    f"input '{tensor.name}' is optional on a batching onnxruntime model, which "
                    "the onnxruntime backend rejects",
                    "drop `optional: true` or set max_batch_size: 0",
                    path=f"input[{i}].optional",
                )
    _check_parameters(folder, config)
    _check_accelerators(folder, config)
    for version in folder.selected:
        if folder.versions[version].isdigit():
            _check_file(folder, version)


def _check_parameters(folder: ModelFolder, config: Any) -> None:
    """The parameters the onnxruntime backend parses when it creates the session.

    onnxruntime_backend src/onnxruntime.cc reads, in the ModelState constructor, execution_mode,
    intra_op_thread_count and inter_op_thread_count with the backend library's integer parser
    (std::stoi: "8x" is 8, "two" fails the load with "failed to convert 'two' to integral
    number", and execution_mode must be 0 or 1), and enable_mem_arena and enable_mem_pattern with
    its flag parser (true/on/1, false/off/0, any case: "yes" fails). A KIND_GPU instance also
    reads the CUDA options cudnn_conv_algo_search (0-2) and arena_extend_strategy (0-1) in
    ModelState::LoadModel. The stand-in's contract (ort_contract) is the one copy of these rules,
    and the stand-in applies them at load.
    """
    values = {k: v.string_value for k, v in config.parameters.items()}
    graded = _by_instance_kind(config, lambda gpu: parameter_problems(values, gpu=gpu))
    for (key, problem), certain in graded:
        folder.report(
            "TRITON-O014",
            f"parameters['{key}'] of '{folder.name}': the onnxruntime backend refuses to load "
            f"the model{'' if certain else _ON_A_GPU_HOST}: {problem}",
            _parameter_fix(key),
            path=f'parameters["{key}"]',
            severity=None if certain else "warning",
        )


# core src/model_config_utils.cc: a model without instance_group gets one group of KIND_AUTO, and
# KIND_AUTO becomes KIND_GPU where the server has a GPU (KIND_CPU where it has none)
_ON_A_GPU_HOST = (
    " on a server with a GPU (its instances have no kind, so Triton makes them GPU ones)"
)


P = TypeVar("P")


def _by_instance_kind(config: Any, problems: Callable[[bool], list[P]]) -> list[tuple[P, bool]]:
    """``problems(gpu)`` for the instances the model gets, each with whether it is certain.

    With a KIND_GPU group the GPU-only problems are certain; with no group or a KIND_AUTO one
    (GPU where the server has one) they are not, and only those ``problems(False)`` also finds
    are; when every group names another kind the GPU-only ones are not looked for."""
    kinds = [group.kind for group in config.instance_group]
    if pb.ModelInstanceGroup.KIND_GPU in kinds:
        return [(p, True) for p in problems(True)]
    if not kinds or pb.ModelInstanceGroup.KIND_AUTO in kinds:
        always = problems(False)
        return [(p, p in always) for p in problems(True)]
    return [(p, True) for p in problems(False)]


_ACCELERATOR_FIXES = {
    "parameter": "remove it, or use a parameter the onnxruntime backend's README lists",
    "precision": "set precision_mode to FP32, FP16, BF16 or INT8",
    "bool": 'write "true" or "false" (on/off and 1/0 are read too)',
    "int": "write a whole number",
    "unsigned": "write a whole number of bytes",
}


def _check_accelerators(folder: ModelFolder, config: Any) -> None:
    """optimization.execution_accelerators as onnxruntime.cc ModelState::LoadModel reads them:
    a CPU accelerator other than "openvino" fails every load; on a KIND_GPU instance a GPU
    accelerator other than "tensorrt" or "cuda", a TensorRT parameter the backend does not know,
    or a value its parsers refuse (flags, integers, precision_mode) fails it too. The rules are
    the stand-in's contract (ort_contract); the stand-in applies the CPU ones at load."""
    accelerators = config.optimization.execution_accelerators

    def listed(entries: Any) -> list[tuple[str, dict[str, str]]]:
        return [(entry.name, dict(entry.parameters)) for entry in entries]

    cpu = listed(accelerators.cpu_execution_accelerator)
    gpu = listed(accelerators.gpu_execution_accelerator)
    graded = _by_instance_kind(
        config, lambda on_gpu: accelerator_problems(cpu, gpu if on_gpu else None)
    )
    for (where, what, problem), certain in graded:
        if what == "name":
            fix = 'use "openvino"' if where.startswith("cpu") else 'use "tensorrt" or "cuda"'
        else:
            fix = _ACCELERATOR_FIXES[what]
        folder.report(
            "TRITON-O015",
            f"{shown(where, 160)} of '{folder.name}': the onnxruntime backend refuses to load "
            f"the model{'' if certain else _ON_A_GPU_HOST}: {problem}",
            fix,
            path=f"optimization.execution_accelerators.{where}",
            severity=None if certain else "warning",
        )


def _parameter_fix(key: str) -> str:
    if key == "execution_mode":
        return "set execution_mode to 0 (sequential) or 1 (parallel)"
    if key in GPU_CHOICES:
        named = ", ".join(f"{i} ({name})" for i, name in enumerate(GPU_CHOICES[key]))
        return f"set {key} to one of {named}"
    if key in BOOL_PARAMETERS:
        return f'write {key} as "true" or "false" (on/off and 1/0 are read too)'
    return f"write {key} as a whole number (0 lets onnxruntime choose)"


def _model_path(folder: ModelFolder, version: int) -> Path | None:
    name = (folder.config.default_model_filename if folder.config else "") or "model.onnx"
    path = folder.path / str(version) / name
    if path.is_dir():
        path = path / "model.onnx"
    return path if path.is_file() else None


def _check_file(folder: ModelFolder, version: int) -> None:
    path = _model_path(folder, version)
    if path is None:
        return  # missing files are layout errors
    rel = path.relative_to(folder.root).as_posix()
    try:
        inputs, overridable, outputs = read_graph(path)
    except Exception as exc:  # onnx raises DecodeError, ValueError, OSError...: one boundary
        folder.report(
            "TRITON-O001",
            f"'{rel}' cannot be read as an ONNX model: {type(exc).__name__}: {exc}".strip(),
            "re-export the model; the onnxruntime backend will fail to load this file",
            file=rel,
        )
        return
    refused = next((t.unsupported for t in (*inputs, *outputs) if t.unsupported), None)
    if refused is not None:
        folder.report(
            "TRITON-O013",
            f"'{rel}' has a graph input or output that is not a tensor, which the onnxruntime "
            f"backend refuses whatever the config lists: {refused}",
            "re-export the model with tensor inputs and outputs only (a scikit-learn "
            "classifier: skl2onnx options={id(model): {'zipmap': False}})",
            file=rel,
        )
        return  # the load stops there
    config = folder.config
    if config is None:
        return  # auto-completed from this graph: nothing to compare
    batching = config.max_batch_size > 0
    if _autofills(folder, config):
        unbatchable = _first_fixed(inputs + outputs)
        if batching and unbatchable is not None:
            folder.report(
                "TRITON-O008",
                f"max_batch_size is {config.max_batch_size} but '{rel}' has no batch dimension "
                f"({unbatchable}); the onnxruntime backend's auto-complete refuses to batch it "
                "('model does not support batching while non-zero max_batch_size is specified')",
                "set max_batch_size: 0, or export the model with a dynamic first dimension on "
                "every input and output",
                path="max_batch_size",
            )
            return  # the load stops there
        # an empty input or output list is then filled from the model; declared tensors are
        # still validated against it below
    expected = _expected_inputs(config)
    if config.input and expected != len(inputs):
        optional = sum(1 for t in config.input if t.optional)
        note = f", {optional} of them optional and not counted" if optional else ""
        folder.report(
            "TRITON-O002",
            f"config of '{folder.name}' expects {expected} model inputs ({len(config.input)} "
            f"listed{note}, plus batch inputs, sequence controls and states) but '{rel}' has "
            f"{len(inputs)} ({', '.join(t.name for t in inputs)})",
            "declare exactly the model's inputs in config.pbtxt (an input backed by an "
            "initializer is declared `optional: true`)",
            path="input",
        )
    for kind, declared, actual in (
        ("input", config.input, [*inputs, *overridable]),
        ("output", config.output, outputs),
    ):
        by_name = {t.name: t for t in actual}
        for i, tensor in enumerate(declared):
            found = by_name.get(tensor.name)
            where = f"{kind}[{i}]"
            if found is None:
                names = ", ".join(by_name) or "none"
                folder.report(
                    "TRITON-O003",
                    f"{kind} '{tensor.name}' is not in '{rel}' (its {kind}s: {names})",
                    f"use the model's own {kind} names in config.pbtxt",
                    path=f"{where}.name",
                )
                continue
            _compare(folder, where, kind, tensor, found, batching, rel)


def _autofills(folder: ModelFolder, config: Any) -> bool:
    """Does the onnxruntime backend auto-complete this config (inputs or outputs left out)?

    onnxruntime_backend src/onnxruntime.cc (AutoCompleteConfig): skipped when the config lists
    inputs (batch inputs count) and outputs; else max_batch_size is checked against the model
    (AutoCompleteMaxBatch) and an empty list is filled from it.
    """
    if not folder.cache.get("auto_complete", True):
        return False
    return not (config.input or config.batch_input) or not config.output


def _first_fixed(tensors: list[OnnxTensor]) -> str | None:
    """The first tensor that cannot carry a batch dim (rank 0 or a fixed first dim), described.

    AutoCompleteMaxBatch: the model can batch only when every input and output starts with a
    dynamic dim. A tensor whose rank is unknown is not held against it.
    """
    for tensor in tensors:
        if tensor.shape is None:
            continue
        if not tensor.shape:
            return f"'{tensor.name}' is a scalar"
        if tensor.shape[0] != -1:
            return f"the first dim of '{tensor.name}' is fixed to {tensor.shape[0]}"
    return None


def _expected_inputs(config: Any) -> int:
    """How many session inputs the onnxruntime backend expects from the config.

    onnxruntime_backend src/onnxruntime.cc (ModelInstanceState::Create): the config's inputs minus
    the optional ones (overridable initializers, since r23.04), plus batch inputs, one per sequence
    control kind present (START, END, READY, CORRID) and one per sequence state; it must equal the
    session's input count, which leaves out graph inputs that have an initializer.
    """
    count = sum(1 for t in config.input if not t.optional) + len(config.batch_input)
    if config.HasField("sequence_batching"):
        seq = config.sequence_batching
        kinds = {c.kind for ci in seq.control_input for c in ci.control}
        count += len(kinds) + len(seq.state)
    return count


def _compare(
    folder: ModelFolder,
    where: str,
    kind: str,
    tensor: Any,
    found: OnnxTensor,
    batching: bool,
    rel: str,
) -> None:
    if found.data_type is not None and tensor.data_type != found.data_type:
        want = pb.DataType.Name(found.data_type)
        folder.report(
            "TRITON-O004",
            f"config {kind} '{tensor.name}' is {pb.DataType.Name(tensor.data_type)} but '{rel}' "
            f"provides {want}",
            f"set data_type: {want}",
            path=f"{where}.data_type",
        )
    if found.shape is None:
        return
    dims = list(tensor.reshape.shape) if tensor.HasField("reshape") else list(tensor.dims)
    full = [-1, *dims] if batching else dims
    model = list(found.shape)
    if batching and (not model or (len(model) == len(dims) and model[0] != -1)):
        # the model's shape is the config's dims: it has no batch dim for max_batch_size to add
        folder.report(
            "TRITON-O008",
            f"max_batch_size is {folder.config.max_batch_size} but {kind} '{tensor.name}' of "  # type: ignore[union-attr]
            f"'{rel}' has no batch dimension (its shape {model} is the config's dims); with "
            f"max_batch_size > 0 Triton expects shape {full}",
            "set max_batch_size: 0 (and keep dims), or export the model with a dynamic first "
            "dimension",
            path="max_batch_size",
        )
        return
    if len(full) != len(model):
        batch_note = " (max_batch_size > 0 adds the batch dim)" if batching else ""
        folder.report(
            "TRITON-O005",
            f"config {kind} '{tensor.name}' has rank {len(full)}{batch_note}: shape {full}, but "
            f"'{rel}' expects rank {len(model)}: {model}",
            f"set dims to {model[1:] if batching else model}"
            + (" (without the batch dim)" if batching else ""),
            path=f"{where}.dims",
        )
        return
    if batching and model[0] != -1:
        folder.report(
            "TRITON-O008",
            f"config of '{folder.name}' batches (max_batch_size > 0) but '{rel}' fixes the first "
            f"dim of {kind} '{tensor.name}' to {model[0]}, so it has no batch dimension",
            f"export the model with a dynamic batch dim, or set max_batch_size: 0 and dims {model}",
            path="max_batch_size",
        )
        return
    if any(m != -1 and m != c for m, c in zip(model, full, strict=True)):
        folder.report(
            "TRITON-O007",
            f"config {kind} '{tensor.name}' has shape {full} but '{rel}' expects {model}",
            f"set dims to {model[1:] if batching else model} (-1 only where the model's dim is "
            "dynamic)",
            path=f"{where}.dims",
        )
