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
from typing import TYPE_CHECKING, Any

import numpy as np
import onnxruntime as ort
import triton_python_backend_utils as pb_utils
from numpy.typing import NDArray

if TYPE_CHECKING:
    from tritonops.server.backends.onnxruntime.ort_contract import (
        Signature,
        Tensor,
        accelerator_problems,
        auto_complete,
        control_inputs,
        default_max_batch_size,
        int_parameter,
        load_problems,
        parameter_problems,
        parse_bool,
    )
    from tritonops.server.backends.onnxruntime.ort_state import SequenceStore
else:  # in the stub, this backend's folder is on sys.path and tritonops need not be importable
    from ort_contract import (
        Signature,
        Tensor,
        accelerator_problems,
        auto_complete,
        control_inputs,
        default_max_batch_size,
        int_parameter,
        load_problems,
        parameter_problems,
        parse_bool,
    )
    from ort_state import SequenceStore

# optimization.graph.level as the C++ backend maps it (onnxruntime.cc ModelState constructor):
# -1 basic, 1 extended, 2 none, anything else (0 or unset) all.
_LEVELS = {
    -1: ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    1: ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    2: ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
}


def _parameters(config: dict[str, Any]) -> dict[str, str]:
    return {k: v.get("string_value", "") for k, v in config.get("parameters", {}).items()}


def _default_max_batch_size() -> int:
    try:
        return default_max_batch_size(os.environ)
    except ValueError as exc:
        raise pb_utils.TritonModelException(str(exc)) from None


def _accelerator_problems(config: dict[str, Any], *, gpu: bool) -> list[tuple[str, str]]:
    """The execution accelerators the C++ backend would refuse (it accepts "openvino" on CPU,
    which the embedded server cannot run: ``validate --load`` says so as TRITON-X003)."""
    accelerators = config.get("optimization", {}).get("execution_accelerators", {})

    def listed(key: str) -> list[tuple[str, dict[str, str]]]:
        return [(a.get("name", ""), a.get("parameters", {})) for a in accelerators.get(key, [])]

    cpu = listed("cpu_execution_accelerator")
    found = accelerator_problems(cpu, listed("gpu_execution_accelerator") if gpu else None)
    return [(where, message) for where, _, message in found]


def _session_options(config: dict[str, Any], *, gpu: bool) -> ort.SessionOptions:
    """The session options the C++ backend reads from the config, and only those.

    Source: onnxruntime.cc ModelState constructor (optimization.graph.level, execution_mode,
    intra_op_thread_count, inter_op_thread_count, enable_mem_arena, enable_mem_pattern) and, for
    a GPU instance, the CUDA options it parses in ModelState::LoadModel. A value the backend
    cannot parse fails the load with its words. Parameters it does not know are ignored there,
    so they are ignored here too (``allow_spinning`` below is the one local-only knob).
    """
    params = _parameters(config)
    problems = parameter_problems(params, gpu=gpu) + _accelerator_problems(config, gpu=gpu)
    if problems:
        raise pb_utils.TritonModelException(problems[0][1])
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(int_parameter(params, "intra_op_thread_count"), 0)
    options.inter_op_num_threads = max(int_parameter(params, "inter_op_thread_count"), 0)
    if int_parameter(params, "execution_mode") == 1:
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    if "enable_mem_arena" in params:
        options.enable_cpu_mem_arena = parse_bool(params["enable_mem_arena"])
    if "enable_mem_pattern" in params:
        options.enable_mem_pattern = parse_bool(params["enable_mem_pattern"])
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


# one request of a dynamic batch: its index in the batch, the request, what is fed to the graph
_Member = tuple[int, Any, dict[str, NDArray[Any]]]


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
        try:
            auto_complete(config, Signature(session), _default_max_batch_size())
        except ValueError as exc:
            raise pb_utils.TritonModelException(str(exc)) from None
        return auto_complete_model_config

    def initialize(self, args: dict[str, Any]) -> None:
        config = json.loads(args["model_config"])
        _default_max_batch_size()  # the C++ backend refuses a bad value when it starts
        self.batching = int(config.get("max_batch_size", 0)) > 0
        self.max_batch_size = int(config.get("max_batch_size", 0))
        self.inputs = [Tensor(t) for t in config.get("input", [])] + control_inputs(config)
        self.outputs = [Tensor(t) for t in config.get("output", [])]
        path = _model_path(args, config)
        if not os.path.exists(path):
            raise pb_utils.TritonModelException(f"unable to find '{path}' for model instance")
        kind = args.get("model_instance_kind", "CPU")
        device = int(args.get("model_instance_device_id", 0) or 0)
        self.session = ort.InferenceSession(
            path,
            sess_options=_session_options(config, gpu=kind == "GPU"),
            providers=_providers(kind, device),
        )
        self.reply_names = [t.name for t in self.outputs] or [
            o.name for o in self.session.get_outputs()
        ]
        self.states = SequenceStore(config)
        # the graph is asked for the replied outputs and every output state (onnxruntime.cc
        # ModelState::Create: model_outputs_ holds both); only the replied ones reach clients
        extra = [n for n in self.states.output_names if n not in self.reply_names]
        self.output_names = self.reply_names + extra
        self.replied = len(self.reply_names)
        problems = load_problems(config, Signature(self.session))
        if problems:
            raise pb_utils.TritonModelException("; ".join(problems))
        # The common case (batching; every input required, numeric, fixed-shape; no string
        # outputs) takes one pass with no per-request dicts or grouping keys.
        self.fast = (
            self.batching
            and not self.states
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
        if self.states:
            kept = self.states.inputs(request)
            for state in self.states.specs:
                if kept is not None:
                    feed[state.input_name] = kept[state.input_name]
                    continue
                # the sequence's first request: the core's initial state (initial_state)
                tensor = pb_utils.get_input_tensor_by_name(request, state.input_name)
                if tensor is None:
                    return None, f"implicit state '{state.input_name}' is missing"
                array = tensor.as_numpy()
                if state.data_type == "TYPE_STRING":
                    array = _to_onnx_strings(array)
                feed[state.input_name] = array
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
        groups: dict[tuple[Any, ...], list[_Member]] = {}
        for index, request in enumerate(requests):
            feed, problem = self._read(request)
            if feed is None:
                responses[index] = pb_utils.InferenceResponse(
                    error=pb_utils.TritonError(problem or "bad request")
                )
                continue
            if not self.batching:
                responses[index] = self._run_one(request, feed)
                continue
            key = tuple(sorted((name, a.shape[1:], a.dtype.str) for name, a in feed.items()))
            groups.setdefault(key, []).append((index, request, feed))
        for members in groups.values():
            self._run_group(members, responses)
        return responses

    def _run_one(self, request: Any, feed: dict[str, NDArray[Any]]) -> Any:
        try:
            results = self.session.run(self.output_names, feed)
        except Exception as exc:  # onnxruntime's errors are per request, not per model
            return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc)))
        return self._finish(request, results)

    def _run_group(self, members: list[_Member], responses: list[Any]) -> None:
        if len(members) == 1:
            index, request, feed = members[0]
            responses[index] = self._run_one(request, feed)
            return
        names = members[0][2].keys()
        merged = {n: np.concatenate([m[2][n] for m in members], axis=0) for n in names}
        try:
            results = self.session.run(self.output_names, merged)
        except Exception:  # one bad member must not fail the rest: fall back to one by one
            for index, request, feed in members:
                responses[index] = self._run_one(request, feed)
            return
        # slice views per request: no copies, no np.split bookkeeping
        start = 0
        for index, request, feed in members:
            stop = start + next(iter(feed.values())).shape[0]
            responses[index] = self._finish(request, [r[start:stop] for r in results])
            start = stop

    def _finish(self, request: Any, results: list[NDArray[Any]]) -> Any:
        if self.states:
            self.states.keep(request, dict(zip(self.output_names, results, strict=True)))
        return self._response(results[: self.replied])

    def _response(self, results: list[NDArray[Any]]) -> Any:
        tensors = []
        for name, value in zip(self.reply_names, results, strict=True):
            if value.dtype.kind in ("U", "O"):
                value = np.array(
                    [str(x).encode("utf-8") for x in value.ravel()], dtype=object
                ).reshape(value.shape)
            tensors.append(pb_utils.Tensor(name, value))
        return pb_utils.InferenceResponse(output_tensors=tensors)
