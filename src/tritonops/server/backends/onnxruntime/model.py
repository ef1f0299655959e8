"""A python-based Triton backend named ``onnxruntime``, served by the embedded tritonserver.

Triton's python backend loads ``<backend-dir>/onnxruntime/model.py`` for every config that says
``backend: "onnxruntime"``, so the same config.pbtxt runs here and, in a production Triton, on the
C++ onnxruntime backend. This file runs inside the python backend stub, not in tritonops.

Triton hands ``execute`` a list of requests (one dynamic batch). They are checked one by one (a bad
request gets its own error and never fails its neighbours), merged along the batch axis, run once,
and the outputs are split back.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils
from numpy.typing import NDArray

# optimization.graph.level as the C++ backend maps it (onnxruntime.cc ModelState constructor):
# -1 basic, 1 extended, 2 none, anything else (0 or unset) all.
_LEVELS = {
    -1: ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    1: ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    2: ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}

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


class _Tensor:
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


def _parameters(config: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}


def _int_parameter(params: dict[str, str], key: str) -> int:
    """A numeric parameter, refused at load when it is not an integer (as the C++ backend does)."""
    text = params.get(key, "0") or "0"
    try:
        return int(text)
    except ValueError:
        raise pb_utils.TritonModelException(
            f"failed to convert '{text}' to an integer for parameter '{key}' — give it a whole "
            "number as a string_value"
        ) from None


def _session_options(config: dict[str, Any]) -> ort.SessionOptions:
    """The session options the C++ backend reads from the config, and only those.

    Source: onnxruntime.cc ModelState constructor (optimization.graph.level, execution_mode,
    intra_op_thread_count, inter_op_thread_count). Parameters it does not know are ignored there,
    so they are ignored here too (``allow_spinning`` below is the one local-only knob).
    """
    params = _parameters(config)
    options = ort.SessionOptions()
    intra = _int_parameter(params, "intra_op_thread_count")
    inter = _int_parameter(params, "inter_op_thread_count")
    options.intra_op_num_threads = max(intra, 0)
    options.inter_op_num_threads = max(inter, 0)
    mode = _int_parameter(params, "execution_mode")
    if mode not in (0, 1):
        raise pb_utils.TritonModelException(
            "Invalid configuration value provided. Expected values for  execution_mode are 0 "
            f"or 1 but got {mode} ."
        )
    if mode == 1:
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    graph = config.get("optimization", {}).get("graph", {})
    level = int(graph.get("level", 0) or 0) if isinstance(graph, dict) else 0
    options.graph_optimization_level = _LEVELS.get(level, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    # Spinning worker threads keep a core busy between runs; in a server that core is needed by
    # Triton's frontend and the stub's IPC, so spin only when asked to. Production ignores this
    # parameter (its onnxruntime keeps its own default); it changes speed here, never results.
    spin = params.get("allow_spinning", "0")
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    options.add_session_config_entry("session.inter_op.allow_spinning", spin)
    return options


def _providers(kind: str, device_id: int) -> list[Any]:
    """CPU, or CUDA for a KIND_GPU instance where this onnxruntime has it (the C++ backend puts
    KIND_GPU instances on its CUDA execution provider: onnxruntime.cc ModelInstanceState)."""
    if kind == "GPU" and "CUDAExecutionProvider" in ort.get_available_providers():
        return [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def _model_path(args: dict[str, Any], config: dict[str, Any]) -> str:
    version_dir = os.path.join(args["model_repository"], args["model_version"])
    path = os.path.join(version_dir, config.get("default_model_filename") or "model.onnx")
    if os.path.isdir(path):  # onnxruntime accepts a folder holding model.onnx (external data)
        path = os.path.join(path, "model.onnx")
    return path


def _to_onnx_strings(array: NDArray[Any]) -> NDArray[Any]:
    flat = [x.decode("utf-8") if isinstance(x, bytes) else str(x) for x in array.ravel()]
    return np.array(flat, dtype=object).reshape(array.shape)


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
# docs/user_guide/model_configuration.md, "Default Max Batch Size and Dynamic Batcher"). A
# python-based backend is not handed the backend config, so the stand-in assumes the default.
DEFAULT_MAX_BATCH_SIZE = 4


def onnx_dims(shape: Any) -> list[int]:
    """ORT reports a dynamic dim as a name or None; Triton and the C++ backend call it -1."""
    return [d if isinstance(d, int) and d >= 0 else -1 for d in shape]


def _shape_text(dims: list[int]) -> str:
    return "[" + ",".join(str(d) for d in dims) + "]"


class Signature:
    """What the ONNX graph declares: required inputs, overridable initializers, outputs."""

    def __init__(self, session: Any) -> None:
        def table(items: Any) -> dict[str, tuple[str, list[int]]]:
            return {t.name: (_ORT_TYPES.get(t.type, t.type), onnx_dims(t.shape)) for t in items}

        self.inputs = table(session.get_inputs())
        self.initializers = table(session.get_overridable_initializers())
        self.outputs = table(session.get_outputs())


def auto_complete(config: dict[str, Any], graph: Signature) -> None:
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
    tensors = [*graph.inputs.values(), *graph.outputs.values()]
    can_batch = all(dims and dims[0] == -1 for _, dims in tensors)
    max_batch = int(config.get("max_batch_size", 0) or 0)
    if can_batch:
        if max_batch == 0:
            max_batch = DEFAULT_MAX_BATCH_SIZE
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


def control_inputs(config: dict[str, Any]) -> list[_Tensor]:
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
        tensors.append(_Tensor({"name": entry["name"], "data_type": data_type, "dims": [1]}))
    return tensors


def load_problems(config: dict[str, Any], graph: Signature) -> list[str]:
    """Everything the C++ backend refuses at load, each in its wording (it stops at the first).

    Source: onnxruntime_backend src/onnxruntime.cc ModelInstanceState (the expected input count
    skips ``optional`` inputs and adds ``batch_input``s), ValidateInputs, ValidateOutputs; the
    unknown-name wording is backend src/backend_common.cc CheckAllowedModelInput/Output.
    """
    model = config.get("name", "")
    max_batch = int(config.get("max_batch_size", 0) or 0)
    inputs = [_Tensor(t) for t in config.get("input") or []]
    outputs = [_Tensor(t) for t in config.get("output") or []]
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
    spec: _Tensor,
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
        return (
            f"unable to load model '{model}', configuration expects datatype {spec.data_type} "
            f"for {kind} '{spec.name}', model provides {data_type}"
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


class TritonPythonModel:
    @staticmethod
    def auto_complete_config(auto_complete_model_config: Any) -> Any:
        """Complete a partial config from the graph, as the C++ backend's auto-complete does.

        The python backend calls this for a python-based backend too, unless the server runs with
        ``--disable-auto-complete-config`` (python_backend README, "auto_complete_config"); the
        C++ backend likewise skips auto-complete then. ``as_dict()`` is the config the stub sends
        back, so editing it in place can also write ``reshape`` (``add_output`` cannot).
        """
        config = auto_complete_model_config.as_dict()
        named = len(config.get("input") or []) + len(config.get("batch_input") or [])
        if named > 0 and config.get("output"):
            return auto_complete_model_config
        filename = config.get("default_model_filename") or "model.onnx"
        path = os.path.join(pb_utils.get_model_dir(), filename)
        if os.path.isdir(path):
            path = os.path.join(path, "model.onnx")
        if not os.path.exists(path):
            raise pb_utils.TritonModelException(
                f"unable to find '{path}' for model '{config.get('name', '')}' to auto-complete "
                "its configuration"
            )
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(
            path, sess_options=options, providers=["CPUExecutionProvider"]
        )
        auto_complete(config, Signature(session))
        return auto_complete_model_config

    def initialize(self, args: dict[str, Any]) -> None:
        config = json.loads(args["model_config"])
        self.batching = int(config.get("max_batch_size", 0)) > 0
        self.max_batch_size = int(config.get("max_batch_size", 0))
        self.inputs = [_Tensor(t) for t in config.get("input", [])] + control_inputs(config)
        self.outputs = [_Tensor(t) for t in config.get("output", [])]
        path = _model_path(args, config)
        if not os.path.exists(path):
            raise pb_utils.TritonModelException(f"unable to find '{path}' for model instance")
        kind = args.get("model_instance_kind", "CPU")
        device = int(args.get("model_instance_device_id", 0) or 0)
        self.session = ort.InferenceSession(
            path, sess_options=_session_options(config), providers=_providers(kind, device)
        )
        self.output_names = [t.name for t in self.outputs] or [
            o.name for o in self.session.get_outputs()
        ]
        problems = load_problems(config, Signature(self.session))
        if problems:
            raise pb_utils.TritonModelException("; ".join(problems))
        # The common case (batching; every input required, numeric, fixed-shape; no string
        # outputs) takes one pass with no per-request dicts or grouping keys.
        self.fast = (
            self.batching
            and bool(self.inputs)
            and all(t.fixed is not None and t.dtype not in (None, np.object_) for t in self.inputs)
            and not any(t.optional for t in self.inputs)
            and not any(o.type == "tensor(string)" for o in self.session.get_outputs())
        )

    def _read(self, request: Any) -> tuple[dict[str, NDArray[Any]] | None, str | None]:
        feed: dict[str, NDArray[Any]] = {}
        for spec in self.inputs:
            tensor = pb_utils.get_input_tensor_by_name(request, spec.name)
            if tensor is None:
                if spec.optional:
                    continue
                return None, f"input '{spec.name}' is missing"
            array = tensor.as_numpy()
            problem = spec.check(array, self.batching)
            if problem:
                return None, problem
            if spec.data_type == "TYPE_STRING":
                array = _to_onnx_strings(array)
            feed[spec.name] = array
        return feed, None

    def execute(self, requests: list[Any]) -> list[Any]:
        if self.fast:
            responses = self._execute_fast(requests)
            if responses is not None:
                return responses
        return self._execute_general(requests)

    def _execute_fast(self, requests: list[Any]) -> list[Any] | None:
        """One pass over regular requests; None hands an irregular batch to the general path."""
        get = pb_utils.get_input_tensor_by_name
        specs = self.inputs
        columns: list[list[NDArray[Any]]] = [[] for _ in specs]
        sizes: list[int] = []
        for request in requests:
            size = -1
            for spec, column in zip(specs, columns, strict=True):
                tensor = get(request, spec.name)
                if tensor is None:
                    return None
                array = tensor.as_numpy()
                if array.shape[1:] != spec.fixed or (size >= 0 and array.shape[0] != size):
                    return None
                size = array.shape[0]
                column.append(array)
            sizes.append(size)
        feed = {
            spec.name: column[0] if len(column) == 1 else np.concatenate(column)
            for spec, column in zip(specs, columns, strict=True)
        }
        try:
            results = self.session.run(self.output_names, feed)
        except Exception:  # the general path answers each bad request on its own
            return None
        tensor, response, names = pb_utils.Tensor, pb_utils.InferenceResponse, self.output_names
        if len(sizes) == 1:
            return [response([tensor(n, r) for n, r in zip(names, results, strict=True)])]
        responses = []
        start = 0
        for size in sizes:  # slice views per request: no copies
            stop = start + size
            responses.append(
                response([tensor(n, r[start:stop]) for n, r in zip(names, results, strict=True)])
            )
            start = stop
        return responses

    def _execute_general(self, requests: list[Any]) -> list[Any]:
        responses: list[Any] = [None] * len(requests)
        # group requests whose non-batch shapes match: only those can share one run
        groups: dict[tuple[Any, ...], list[tuple[int, dict[str, NDArray[Any]]]]] = {}
        for index, request in enumerate(requests):
            feed, problem = self._read(request)
            if feed is None:
                responses[index] = pb_utils.InferenceResponse(
                    error=pb_utils.TritonError(problem or "bad request")
                )
                continue
            if not self.batching:
                responses[index] = self._run_one(feed)
                continue
            key = tuple(sorted((name, a.shape[1:], a.dtype.str) for name, a in feed.items()))
            groups.setdefault(key, []).append((index, feed))
        for members in groups.values():
            self._run_group(members, responses)
        return responses

    def _run_one(self, feed: dict[str, NDArray[Any]]) -> Any:
        try:
            results = self.session.run(self.output_names, feed)
        except Exception as exc:  # onnxruntime's errors are per request, not per model
            return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc)))
        return self._response(results)

    def _run_group(
        self, members: list[tuple[int, dict[str, NDArray[Any]]]], responses: list[Any]
    ) -> None:
        if len(members) == 1:
            index, feed = members[0]
            responses[index] = self._run_one(feed)
            return
        names = members[0][1].keys()
        merged = {n: np.concatenate([feed[n] for _, feed in members], axis=0) for n in names}
        try:
            results = self.session.run(self.output_names, merged)
        except Exception:  # one bad member must not fail the rest: fall back to one by one
            for index, feed in members:
                responses[index] = self._run_one(feed)
            return
        # slice views per request: no copies, no np.split bookkeeping
        start = 0
        for index, feed in members:
            stop = start + next(iter(feed.values())).shape[0]
            responses[index] = self._response([r[start:stop] for r in results])
            start = stop

    def _response(self, results: list[NDArray[Any]]) -> Any:
        tensors = []
        for name, value in zip(self.output_names, results, strict=True):
            if value.dtype.kind in ("U", "O"):
                value = np.array(
                    [str(x).encode("utf-8") for x in value.ravel()], dtype=object
                ).reshape(value.shape)
            tensors.append(pb_utils.Tensor(name, value))
        return pb_utils.InferenceResponse(output_tensors=tensors)
