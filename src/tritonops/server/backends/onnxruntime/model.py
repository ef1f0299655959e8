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

_LEVELS = {
    "0": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "1": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "2": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "99": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    "-1": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
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
    """One declared input or output: name, numpy dtype, per-item dims (-1 = any)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name: str = spec["name"]
        self.data_type: str = spec["data_type"]
        self.dtype = _NUMPY.get(self.data_type)
        self.dims = [int(d) for d in spec.get("dims", [])]
        self.optional = bool(spec.get("optional", False))
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


def _session_options(config: dict[str, Any]) -> ort.SessionOptions:
    params = _parameters(config)
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(params.get("intra_op_thread_count", "0") or 0)
    options.inter_op_num_threads = int(params.get("inter_op_thread_count", "0") or 0)
    if params.get("execution_mode", "0") == "1":
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    level = str(config.get("optimization", {}).get("graph", {}).get("level", ""))
    level = params.get("graph_optimization_level", level) or "99"
    options.graph_optimization_level = _LEVELS.get(level, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    # Spinning worker threads keep a core busy between runs; in a server that core is needed by
    # Triton's frontend and the stub's IPC, so spin only when asked to.
    spin = params.get("allow_spinning", "0")
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    options.add_session_config_entry("session.inter_op.allow_spinning", spin)
    return options


def _providers(config: dict[str, Any], kind: str, device_id: int) -> list[Any]:
    available = ort.get_available_providers()
    requested = _parameters(config).get("execution_providers", "")
    if requested:
        names = [p.strip() for p in requested.split(",") if p.strip()]
        return [p for p in names if p in available] or ["CPUExecutionProvider"]
    if kind == "GPU" and "CUDAExecutionProvider" in available:
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


def _check_against_model(
    session: Any, inputs: list[_Tensor], outputs: list[_Tensor], batching: bool
) -> None:
    """Refuse at load what Triton's C++ onnxruntime backend refuses, so both behave alike."""
    problems = []
    model_io = {t.name: t for t in [*session.get_inputs(), *session.get_outputs()]}
    model_inputs = {t.name for t in session.get_inputs()}
    required = session.get_inputs()
    if inputs and len(inputs) != len(required):
        problems.append(
            f"configuration expects {len(inputs)} inputs, model provides {len(required)}"
        )
    for spec in [*inputs, *outputs]:
        found = model_io.get(spec.name)
        if found is None:
            kind = "input" if spec in inputs else "output"
            have = sorted(
                model_inputs if kind == "input" else {o.name for o in session.get_outputs()}
            )
            problems.append(
                f"unexpected {kind} '{spec.name}' in model configuration, model has {have}"
            )
            continue
        want = _ORT_TYPES.get(found.type)
        if want and want != spec.data_type:
            problems.append(
                f"configuration expects datatype {spec.data_type} for '{spec.name}', model "
                f"provides {want}"
            )
        shape = list(found.shape)
        rank = len(spec.dims) + (1 if batching else 0)
        if len(shape) != rank:
            problems.append(
                f"'{spec.name}': the model expects {len(shape)} dimensions (shape {shape}) but "
                f"the model configuration specifies {rank}"
            )
        elif batching and isinstance(shape[0], int) and shape[0] > 0:
            problems.append(
                f"'{spec.name}': the model's first dimension is fixed at {shape[0]}, so it cannot "
                "batch — set max_batch_size 0 or export with a dynamic batch axis"
            )
    if problems:
        raise pb_utils.TritonModelException("; ".join(problems))


class TritonPythonModel:
    def initialize(self, args: dict[str, Any]) -> None:
        config = json.loads(args["model_config"])
        self.batching = int(config.get("max_batch_size", 0)) > 0
        self.max_batch_size = int(config.get("max_batch_size", 0))
        self.inputs = [_Tensor(t) for t in config.get("input", [])]
        self.outputs = [_Tensor(t) for t in config.get("output", [])]
        path = _model_path(args, config)
        if not os.path.exists(path):
            raise pb_utils.TritonModelException(f"unable to find '{path}' for model instance")
        kind = args.get("model_instance_kind", "CPU")
        device = int(args.get("model_instance_device_id", 0) or 0)
        self.session = ort.InferenceSession(
            path, sess_options=_session_options(config), providers=_providers(config, kind, device)
        )
        self.output_names = [t.name for t in self.outputs] or [
            o.name for o in self.session.get_outputs()
        ]
        self.session_inputs = {i.name for i in self.session.get_inputs()}
        _check_against_model(self.session, self.inputs, self.outputs, self.batching)
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
