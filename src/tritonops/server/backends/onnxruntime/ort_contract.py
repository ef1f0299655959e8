"""The C++ onnxruntime backend's contract, as rules the local stand-in (model.py) applies.

Pure functions over the model config (as JSON) and the graph's signature: auto-complete, the checks
at load with the backend's wording, sequence control tensors. The sources are the backend's
repository (github.com/triton-inference-server/onnxruntime_backend, src/onnxruntime.cc and
src/onnxruntime_utils.cc) and docs/onnxruntime-standin.md. This file runs inside the python
backend stub, beside model.py (the stub puts a python-based backend's folder on sys.path).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

_NUMPY = {
    "TYPE_BOOL": np.bool_,
    "TYPE_UINT8": np.uint8,
    "TYPE_UINT16": np.uint16,
    "TYPE_UINT32": np.uint32,
    "TYPE_UINT64": np.uint64,
    "TYPE_INT8": np.int8,
    "TYPE_INT16": np.int16,
    "TYPE_INT32": np.int32,
    "TYPE_INT64": np.int64,
    "TYPE_FP16": np.float16,
    "TYPE_FP32": np.float32,
    "TYPE_FP64": np.float64,
    "TYPE_STRING": np.object_,
}


class Tensor:
    """One declared input or output as the model sees it: name, numpy dtype, per-item dims.

    Triton's core applies ``reshape`` before a backend sees a request (inputs arrive in the
    reshape shape) and after it answers (outputs go back to ``dims``), so the shape checked and
    produced here is the reshape shape when there is one, as the C++ backend compares it
    (onnxruntime_backend src/onnxruntime.cc, ValidateInputs/ValidateOutputs).
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name: str = spec["name"]
        self.data_type: str = spec["data_type"]
        self.dtype = _NUMPY.get(self.data_type)
        reshape = spec.get("reshape")
        source = reshape.get("shape", []) if isinstance(reshape, dict) else spec.get("dims", [])
        self.dims = [int(d) for d in source]
        self.optional = bool(spec.get("optional", False))
        self.ragged = bool(spec.get("allow_ragged_batch", False))
        self.fixed = None if -1 in self.dims else tuple(self.dims)

    def check(self, array: NDArray[Any], batching: bool) -> str | None:
        if self.fixed is not None and (array.shape[1:] if batching else array.shape) == self.fixed:
            return None  # the common case, without a Python loop over dims
        shape = list(array.shape[1:] if batching else array.shape)
        if len(shape) != len(self.dims) or any(
            want != -1 and want != got for want, got in zip(self.dims, shape, strict=True)
        ):
            want = ([-1] if batching else []) + self.dims
            return f"input '{self.name}' has shape {list(array.shape)}, the model expects {want}"
        return None


_ORT_TYPES = {
    "tensor(bool)": "TYPE_BOOL",
    "tensor(uint8)": "TYPE_UINT8",
    "tensor(uint16)": "TYPE_UINT16",
    "tensor(uint32)": "TYPE_UINT32",
    "tensor(uint64)": "TYPE_UINT64",
    "tensor(int8)": "TYPE_INT8",
    "tensor(int16)": "TYPE_INT16",
    "tensor(int32)": "TYPE_INT32",
    "tensor(int64)": "TYPE_INT64",
    "tensor(float16)": "TYPE_FP16",
    "tensor(float)": "TYPE_FP32",
    "tensor(double)": "TYPE_FP64",
    "tensor(string)": "TYPE_STRING",
    "tensor(bfloat16)": "TYPE_BF16",
}

# Triton's --backend-config=default-max-batch-size defaults to 4 (server repository,
# docs/user_guide/model_configuration.md, "Default Max Batch Size and Dynamic Batcher"; core
# src/backend_model.cc backend_config_defaults). The python backend does not hand its backend
# config to a python-based backend's model.py, so the launcher (tritonops.server.local) resolves
# the value from the server's argv as the C++ backend would see it and passes it in this variable.
DEFAULT_MAX_BATCH_SIZE = 4
DEFAULT_MAX_BATCH_SIZE_ENV = "TRITONOPS_ORT_DEFAULT_MAX_BATCH_SIZE"

_STOI = re.compile(r"\s*[+-]?\d+")


_SHOWN_MAX = 60  # characters of a refused value quoted in a message


def shown(text: str, limit: int = _SHOWN_MAX) -> str:
    """A value as a message quotes it: as written when short and printable, else escaped and
    cut at ``limit`` (a 100 kB value or a control character never reaches a terminal whole)."""
    if len(text) <= limit and text.isprintable():
        return text
    escaped = text[: limit + 1].encode("unicode_escape").decode("ascii")
    return escaped[:limit] + ("…" if len(text) > limit else "")


def parse_int(text: str) -> int:
    """A number as the C++ backend parses one (backend src/backend_common.cc ParseIntValue:
    std::stoi, so leading blanks and a sign are read and trailing text is ignored). A number
    outside a 32-bit int makes std::stoi throw std::out_of_range, which ParseIntValue does not
    catch: refused here too."""
    found = _STOI.match(text)
    if found is None:
        raise ValueError(f"failed to convert '{shown(text)}' to integral number")
    digits = found.group().strip().lstrip("+-").lstrip("0")
    value = int(found.group()) if len(digits) <= 10 else None
    if value is None or not -(2**31) <= value < 2**31:
        raise ValueError(
            f"'{shown(text)}' is out of range for an integer (std::stoi throws "
            "std::out_of_range, which the backend does not catch)"
        )
    return value


# The parameters the C++ backend reads as integers when it creates the session, in its order
# (onnxruntime.cc ModelState constructor, TryParseModelStringParameter: absent means 0).
INT_PARAMETERS = ("execution_mode", "intra_op_thread_count", "inter_op_thread_count")


def int_parameter(params: Mapping[str, str], key: str) -> int:
    """``params[key]`` read as the backend reads it: 0 when absent, else ``parse_int``."""
    return parse_int(params[key]) if key in params else 0


def execution_mode_problem(mode: int) -> str | None:
    """onnxruntime.cc: execution_mode 0 (sequential) or 1 (parallel); anything else fails."""
    if mode in (0, 1):
        return None
    return (
        "Invalid configuration value provided. Expected values for  execution_mode are 0 "
        f"or 1 but got {mode} ."
    )


def parse_bool(text: str) -> bool:
    """A flag as the C++ backend parses one (backend src/backend_common.cc ParseBoolValue):
    true/on/1 or false/off/0 in any case, nothing else (no blanks, no "yes")."""
    lowered = text.lower()
    if lowered in ("true", "on", "1"):
        return True
    if lowered in ("false", "off", "0"):
        return False
    raise ValueError(f"failed to convert '{shown(text)}' to boolean")


# The parameters the C++ backend reads as flags when it creates the session (onnxruntime.cc
# ModelState constructor: EnableCpuMemArena / EnableMemPattern or their Disable twins).
BOOL_PARAMETERS = ("enable_mem_arena", "enable_mem_pattern")

# CUDA execution provider parameters, read only when an instance runs on a GPU (onnxruntime.cc
# ModelState::LoadModel, "Parse CUDA EP configurations directly from the parameters field"):
# TryParseModelStringParameter's integer, then only these values are accepted.
GPU_CHOICES: dict[str, tuple[str, ...]] = {
    "cudnn_conv_algo_search": ("EXHAUSTIVE", "HEURISTIC", "DEFAULT"),
    "arena_extend_strategy": ("kNextPowerOfTwo", "kSameAsRequested"),
}


def parameter_problems(params: Mapping[str, str], *, gpu: bool) -> list[tuple[str, str]]:
    """``(key, the backend's error)`` for each parameter that fails the load, in the backend's
    order: the session's integers and flags, then (for a GPU instance) the CUDA options."""
    problems: list[tuple[str, str]] = []
    for key in INT_PARAMETERS:
        try:
            number = int_parameter(params, key)
        except ValueError as exc:
            problems.append((key, str(exc)))
            continue
        found = execution_mode_problem(number) if key == "execution_mode" else None
        if found is not None:
            problems.append((key, found))
    for key in BOOL_PARAMETERS:
        if key in params:
            try:
                parse_bool(params[key])
            except ValueError as exc:
                problems.append((key, str(exc)))
    if gpu:
        for key, choices in GPU_CHOICES.items():
            try:
                number = int_parameter(params, key)
            except ValueError as exc:
                problems.append((key, str(exc)))
                continue
            if not 0 <= number < len(choices):
                problems.append((key, f"unsupported {key} value '{number}' is requested"))
    return problems


# Execution accelerators (optimization.execution_accelerators), as onnxruntime.cc
# ModelState::LoadModel reads them; names are backend_common.h's kTensorRTExecutionAccelerator,
# kCUDAExecutionAccelerator and kOpenVINOExecutionAccelerator. CPU accelerators are read for every
# instance, GPU ones for GPU instances only; any other name fails the load.
CPU_ACCELERATORS = ("openvino",)
GPU_ACCELERATORS = ("tensorrt", "cuda")
# the TensorRT accelerator's parameters and how each value is parsed; any other key fails the load
TENSORRT_PARAMETERS: dict[str, str] = {
    "precision_mode": "precision",
    "max_workspace_size_bytes": "unsigned",
    "trt_max_partition_iterations": "int",
    "trt_min_subgraph_size": "int",
    "int8_calibration_table_name": "text",
    "int8_use_native_calibration_table": "bool",
    "trt_dla_enable": "bool",
    "trt_dla_core": "int",
    "trt_engine_cache_enable": "bool",
    "trt_engine_cache_path": "text",
    "trt_engine_cache_prefix": "text",
    "trt_dump_subgraphs": "bool",
    "trt_force_sequential_engine_build": "bool",
    "trt_context_memory_sharing_enable": "bool",
    "trt_layer_norm_fp32_fallback": "bool",
    "trt_timing_cache_enable": "bool",
    "trt_timing_cache_path": "text",
    "trt_force_timing_cache": "bool",
    "trt_detailed_build_log": "bool",
    "trt_build_heuristics_enable": "bool",
    "trt_sparsity_enable": "bool",
    "trt_builder_optimization_level": "int",
    "trt_auxiliary_streams": "int",
    "trt_tactic_sources": "text",
    "trt_extra_plugin_lib_paths": "text",
    "trt_profile_min_shapes": "text",
    "trt_profile_max_shapes": "text",
    "trt_profile_opt_shapes": "text",
    "trt_cuda_graph_enable": "bool",
    "trt_dump_ep_context_model": "bool",
    "trt_ep_context_file_path": "text",
    "trt_ep_context_embed_mode": "int",
}
PRECISION_MODES = ("FP32", "FP16", "BF16", "INT8")
# the CUDA accelerator's flags; its other keys go to onnxruntime's CUDA provider as they are
CUDA_BOOL_PARAMETERS = ("do_copy_in_default_stream", "use_ep_level_unified_stream")

# an accelerator as the config lists it: its name and its parameters
Accelerator = tuple[str, Mapping[str, str]]


def _value_problem(kind: str, text: str) -> str | None:
    try:
        if kind == "bool":
            parse_bool(text)
        elif kind == "int":
            parse_int(text)
        elif kind == "unsigned" and _STOI.match(text) is None:  # std::stoull
            return f"failed to convert '{shown(text)}' to unsigned long long integral number"
    except ValueError as exc:
        return str(exc)
    if kind == "precision" and text not in PRECISION_MODES:
        return f"unsupported precision mode '{shown(text)}' is requested"
    return None


def accelerator_problems(
    cpu: Sequence[Accelerator], gpu: Sequence[Accelerator] | None
) -> list[tuple[str, str, str]]:
    """``(where, what, the backend's error)`` for each accelerator that fails the load.

    ``where`` is ``cpu_execution_accelerator[i]`` or ``gpu_execution_accelerator[i]`` with
    ``.name`` or the parameter's key; ``what`` is "name", "parameter" (one the TensorRT
    accelerator does not know) or how the value is parsed ("bool", "int", "unsigned",
    "precision"). ``gpu`` is None for a CPU instance, which never reads the GPU accelerators."""
    problems: list[tuple[str, str, str]] = []
    for i, (name, _) in enumerate(cpu):
        if name not in CPU_ACCELERATORS:
            where = f"cpu_execution_accelerator[{i}].name"
            message = f"unknown Execution Accelerator '{shown(name)}' is requested"
            problems.append((where, "name", message))
    for i, (name, params) in enumerate(gpu or ()):
        where = f"gpu_execution_accelerator[{i}]"
        if name not in GPU_ACCELERATORS:
            message = f"unknown Execution Accelerator '{shown(name)}' is requested"
            problems.append((f"{where}.name", "name", message))
            continue
        for key, text in params.items():
            at = f'{where}.parameters["{key}"]'
            if name == "tensorrt":
                kind = TENSORRT_PARAMETERS.get(key)
                if kind is None:
                    message = (
                        f"unknown parameter '{shown(key)}' is provided for TensorRT Execution "
                        "Accelerator"
                    )
                    problems.append((at, "parameter", message))
                    continue
            else:
                kind = "bool" if key in CUDA_BOOL_PARAMETERS else "text"
            found = _value_problem(kind, text)
            if found is not None:
                problems.append((at, kind, found))
    return problems


def default_max_batch_size(environ: Mapping[str, str]) -> int:
    """The server's default-max-batch-size; the C++ backend uses max(value, 0) (onnxruntime.cc
    AutoCompleteMaxBatch) and refuses a value that is not a number when it starts."""
    text = environ.get(DEFAULT_MAX_BATCH_SIZE_ENV)
    if text is None:
        return DEFAULT_MAX_BATCH_SIZE
    return max(parse_int(text), 0)


def onnx_dims(shape: Any) -> list[int]:
    """ORT reports a dynamic dim as a name or None; Triton and the C++ backend call it -1."""
    return [d if isinstance(d, int) and d >= 0 else -1 for d in shape]


def _shape_text(dims: list[int]) -> str:
    return "[" + ",".join(str(d) for d in dims) + "]"


# onnxruntime's Python API names a non-tensor value's type by its prefix; the C++ backend names
# it by ONNXType (onnxruntime_utils.cc OnnxTypeName; ONNX_TYPE_OPTIONAL falls to UNKNOWN there).
_ONNX_TYPES = (
    ("seq(", "ONNX_TYPE_SEQUENCE"),
    ("map(", "ONNX_TYPE_MAP"),
    ("sparse_tensor(", "ONNX_TYPE_SPARSETENSOR"),
    ("opaque(", "ONNX_TYPE_OPAQUE"),
)


def _onnx_type(ort_type: str) -> str:
    if ort_type.startswith("tensor("):
        return "ONNX_TYPE_TENSOR"
    return next((name for prefix, name in _ONNX_TYPES if ort_type.startswith(prefix)), "")


def unsupported_io(name: str, ort_type: str) -> str | None:
    """The C++ backend's refusal of a graph input or output that is not a tensor, in its words
    (onnxruntime_utils.cc InputOutputInfos); None for a tensor. ``ort_type`` is the type as
    onnxruntime's Python API spells it (``tensor(float)``, ``seq(map(int64,tensor(float)))``)."""
    kind = _onnx_type(ort_type)
    if kind == "ONNX_TYPE_TENSOR":
        return None
    return (
        f"Unsupported ONNX Type '{kind or 'ONNX_TYPE_UNKNOWN'}' for I/O '{name}', "
        "expected 'ONNX_TYPE_TENSOR'."
    )


class Signature:
    """What the ONNX graph declares: required inputs, overridable initializers, outputs.

    ``unsupported`` is the C++ backend's refusal of a graph input or output that is not a tensor
    (a scikit-learn classifier's ZipMap output is a sequence of maps): onnxruntime_utils.cc
    InputOutputInfos, reached from auto-complete and from ValidateInputs/ValidateOutputs, so
    such a model never loads there, whatever its config lists.
    """

    def __init__(self, session: Any) -> None:
        def table(items: Any) -> dict[str, tuple[str, list[int]]]:
            return {t.name: (_ORT_TYPES.get(t.type, t.type), onnx_dims(t.shape)) for t in items}

        self.inputs = table(session.get_inputs())
        self.initializers = table(session.get_overridable_initializers())
        self.outputs = table(session.get_outputs())
        self.unsupported: str | None = None
        for item in [*session.get_inputs(), *session.get_outputs()]:
            self.unsupported = unsupported_io(item.name, item.type)
            if self.unsupported:
                break


def auto_complete(
    config: dict[str, Any], graph: Signature, default_max_batch: int = DEFAULT_MAX_BATCH_SIZE
) -> None:
    """Fill ``max_batch_size``, ``input`` and ``output`` in place the way the C++ backend does.

    Source: onnxruntime_backend src/onnxruntime.cc ModelState::AutoCompleteConfig,
    AutoCompleteMaxBatch and AutoCompleteIO:
    - nothing is touched when the config already names inputs (or batch inputs) and outputs;
    - the graph can batch when every input and output has a first dim of -1; then an unset
      max_batch_size becomes the server's default, and max_batch_size > 1 with no scheduler turns
      on ``dynamic_batching {}``;
    - a graph that cannot batch with a non-zero max_batch_size is refused;
    - a missing input or output list is written from the graph, the batch dim left out; a tensor
      left with no dims gets ``dims: [1]`` (plus an empty ``reshape`` when batching).
    """
    name = config.get("name", "")
    counted = len(config.get("input") or []) + len(config.get("batch_input") or [])
    have_outputs = len(config.get("output") or [])
    if counted > 0 and have_outputs > 0:
        return
    if graph.unsupported:
        raise ValueError(graph.unsupported)
    tensors = [*graph.inputs.values(), *graph.outputs.values()]
    can_batch = all(dims and dims[0] == -1 for _, dims in tensors)
    max_batch = int(config.get("max_batch_size", 0) or 0)
    if can_batch:
        if max_batch == 0:
            max_batch = default_max_batch
            config["max_batch_size"] = max_batch
        scheduled = "sequence_batching" in config or "dynamic_batching" in config
        if max_batch > 1 and not scheduled:
            config["dynamic_batching"] = {}
    elif max_batch != 0:
        raise ValueError(
            f"autofill failed for model '{name}': model does not support batching while "
            "non-zero max_batch_size is specified"
        )
    if not config.get("input"):
        config["input"] = _complete_io(graph.inputs, max_batch)
    if not have_outputs:
        config["output"] = _complete_io(graph.outputs, max_batch)


def _complete_io(io: dict[str, tuple[str, list[int]]], max_batch: int) -> list[dict[str, Any]]:
    entries = []
    for tensor, (data_type, shape) in io.items():
        dims = shape[1:] if max_batch > 0 else list(shape)
        entry: dict[str, Any] = {"name": tensor, "data_type": data_type, "dims": dims or [1]}
        if not dims and max_batch > 0:
            entry["reshape"] = {"shape": []}
        entries.append(entry)
    return entries


def compare_dims(
    model: str, tensor: str, model_shape: list[int], dims: list[int], max_batch: int, exact: bool
) -> str | None:
    """onnxruntime_backend src/onnxruntime_utils.cc CompareDimsSupported, in its own words.

    Inputs compare loosely (a -1 in the graph takes any configured dim); outputs exactly.
    """
    if max_batch > 0:
        if not model_shape or model_shape[0] != -1:
            return (
                f"model '{model}', tensor '{tensor}': for the model to support batching the shape "
                "should have at least 1 dimension and the first dimension must be -1; but shape "
                f"expected by the model is {_shape_text(model_shape)}"
            )
        full = [-1, *dims]
    else:
        full = list(dims)
    same = len(model_shape) == len(full) and all(
        m == f for m, f in zip(model_shape, full, strict=True) if exact or m != -1
    )
    if same:
        return None
    if max_batch > 0:
        return (
            f"model '{model}', tensor '{tensor}': the model expects {len(model_shape)} dimensions "
            f"(shape {_shape_text(model_shape)}) but the model configuration specifies "
            f"{len(full)} dimensions (an initial batch dimension because max_batch_size > 0 "
            f"followed by the explicit tensor shape, making complete shape {_shape_text(full)})"
        )
    return (
        f"model '{model}', tensor '{tensor}': the model expects {len(model_shape)} dimensions "
        f"(shape {_shape_text(model_shape)}) but the model configuration specifies "
        f"{len(full)} dimensions (shape {_shape_text(full)})"
    )


def _scalar(model: str, tensor: str, dims: list[int]) -> str | None:
    if all(d == 1 for d in dims):
        return None
    return (
        f"unable to load model '{model}', scalar tensor '{tensor}', should only provide 1 in the "
        "model configuration when the model doesn't support batching. Model configuration "
        f"provided: {_shape_text(dims)}."
    )


_CONTROL_KINDS = {
    "CONTROL_SEQUENCE_START",
    "CONTROL_SEQUENCE_END",
    "CONTROL_SEQUENCE_READY",
    "CONTROL_SEQUENCE_CORRID",
}


def control_inputs(config: dict[str, Any]) -> list[Tensor]:
    """The sequence batcher's control tensors, which the graph takes as inputs.

    Each request carries one value per batch item, typed as the control says (model_config.proto
    ModelSequenceBatching.Control: fp32/int32/bool false-true pairs, or the CORRID data_type).
    """
    sequence = config.get("sequence_batching") or {}
    tensors = []
    for entry in sequence.get("control_input") or []:
        control = (entry.get("control") or [{}])[0]
        if "fp32_false_true" in control:
            data_type = "TYPE_FP32"
        elif "int32_false_true" in control:
            data_type = "TYPE_INT32"
        elif "bool_false_true" in control:
            data_type = "TYPE_BOOL"
        else:
            data_type = control.get("data_type") or "TYPE_UINT64"
        tensors.append(Tensor({"name": entry["name"], "data_type": data_type, "dims": [1]}))
    return tensors


def load_problems(config: dict[str, Any], graph: Signature) -> list[str]:
    """Everything the C++ backend refuses at load, each in its wording (it stops at the first).

    Source: onnxruntime_backend src/onnxruntime.cc ModelInstanceState (the expected input count
    skips ``optional`` inputs and adds ``batch_input``s), ValidateInputs, ValidateOutputs; the
    unknown-name wording is backend src/backend_common.cc CheckAllowedModelInput/Output.
    """
    model = config.get("name", "")
    if graph.unsupported:
        return [graph.unsupported]
    max_batch = int(config.get("max_batch_size", 0) or 0)
    inputs = [Tensor(t) for t in config.get("input") or []]
    outputs = [Tensor(t) for t in config.get("output") or []]
    batch_outputs = {n for b in config.get("batch_output") or [] for n in b.get("target_name", [])}
    problems = []
    expected = sum(1 for t in inputs if not t.optional) + len(config.get("batch_input") or [])
    # a sequence model's graph also takes one input per control kind used and one per state
    sequence = config.get("sequence_batching") or {}
    kinds = {c.get("kind") for ci in sequence.get("control_input") or [] for c in ci["control"]}
    expected += len(kinds & _CONTROL_KINDS) + len(sequence.get("state") or [])
    if len(graph.inputs) != expected:
        problems.append(
            f"unable to load model '{model}', configuration expects {expected} inputs, model "
            f"provides {len(graph.inputs)}"
        )
    # an initializer that is also a graph input may be fed by a request, so it is an input too
    allowed = {**graph.inputs, **graph.initializers}
    for spec in inputs:
        if spec.optional and max_batch != 0:
            problems.append(
                f"unable to load model '{model}', optional input '{spec.name}' is not supported "
                "for models that support batching"
            )
            continue
        problem = _check_tensor(model, "input", spec, allowed, max_batch)
        if problem:
            problems.append(problem)
    for spec in outputs:
        if spec.name in batch_outputs:
            continue  # a batch output's shape need not match the graph
        problem = _check_tensor(model, "output", spec, graph.outputs, max_batch)
        if problem:
            problems.append(problem)
    return problems


def _check_tensor(
    model: str,
    kind: str,
    spec: Tensor,
    graph: dict[str, tuple[str, list[int]]],
    max_batch: int,
) -> str | None:
    found = graph.get(spec.name)
    if found is None:
        return f"unexpected inference {kind} '{spec.name}', allowed {kind}s are: " + ", ".join(
            sorted(graph)
        )
    data_type, shape = found
    if spec.data_type not in _NUMPY and spec.data_type != "TYPE_BF16":
        return f"unsupported datatype {spec.data_type} for {kind} '{spec.name}' for model '{model}'"
    if data_type != spec.data_type:
        # the backend names the graph's type by Triton's API name (TRITONSERVER_DataTypeString),
        # so a string tensor reads TYPE_BYTES here although configs call it TYPE_STRING
        provided = "TYPE_BYTES" if data_type == "TYPE_STRING" else data_type
        return (
            f"unable to load model '{model}', configuration expects datatype {spec.data_type} "
            f"for {kind} '{spec.name}', model provides {provided}"
        )
    if spec.ragged and kind == "input":
        if spec.optional:
            return (
                f"unable to load model '{model}', configuration expects model provides input "
                f"with shape [-1] for ragged input '{spec.name}', which is not supported for "
                "optional input"
            )
        if shape != [-1]:
            return (
                f"unable to load model '{model}', configuration expects model provides input "
                f"with shape [-1]  for ragged input '{spec.name}', model provides "
                f"{_shape_text(shape)}"
            )
        return None
    if not shape:
        return _scalar(model, spec.name, spec.dims)
    return compare_dims(model, spec.name, shape, spec.dims, max_batch, exact=kind == "output")
