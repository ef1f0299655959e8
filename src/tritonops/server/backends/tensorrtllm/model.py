"""A python-based Triton backend named ``tensorrtllm``: the in-flight batching model on a CPU.

Triton's python backend loads ``<backend-dir>/tensorrtllm/model.py`` for every config that says
``backend: "tensorrtllm"``, so the production ``tensorrt_llm`` config.pbtxt loads here unchanged.
It reads and checks the parameters as the real backend does (``trtllm_contract``), opens the
stand-in engine that ``tritonops build --dry-run`` lays at ``gpt_model_path`` (a real engine is
refused with a message that says so), and serves a ``TinyDecoder`` from it.

Decoupled models (streaming) run an in-flight batching loop on one thread: up to the engine's
max_batch_size sequences are active at once (the rest wait for a slot); each iteration gives
every active sequence one step (the prefill for a newcomer, one KV-cached token for the others),
sends a response per token when streaming (one response in all otherwise), checks each
request's cancellation, and flags the last response of a request final. Non-decoupled models
answer each request inside ``execute``.
"""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import triton_python_backend_utils as pb_utils
from numpy.typing import NDArray

if TYPE_CHECKING:
    from tritonops.llm.engine import EngineInputError, Generation, TinyDecoder
    from tritonops.llm.engine_file import EngineFileError
    from tritonops.llm.engine_file import read as read_engine
    from tritonops.llm.trtllm_contract import (
        ContractError,
        Parameters,
        Request,
        checked_for_engine,
        locator,
        logits_type,
        output_arrays,
        read_parameters,
        requests_from_inputs,
    )
else:  # in the stub, this backend's folder (with the llm modules copied in) is on sys.path
    from engine import EngineInputError, Generation, TinyDecoder
    from engine_file import EngineFileError
    from engine_file import read as read_engine
    from trtllm_contract import (
        ContractError,
        Parameters,
        Request,
        checked_for_engine,
        locator,
        logits_type,
        output_arrays,
        read_parameters,
        requests_from_inputs,
    )

_FINAL = pb_utils.TRITONSERVER_RESPONSE_COMPLETE_FINAL
_Queued = tuple[Any, list[Request], set[str], str]  # sender, sequences, outputs asked, request id


@dataclass
class _Group:
    """The sequences of one Triton request; its last response is the one flagged final."""

    sender: Any
    request_id: str
    requested: set[str]
    size: int
    open: int


@dataclass
class _Active:
    request: Request
    group: _Group
    stream: Generation
    tokens: list[int] = field(default_factory=list)
    closed: bool = False  # its group was told it ended (so an error later is not sent twice)


def _inputs(request: Any) -> dict[str, NDArray[Any]]:
    names = (
        "input_ids",
        "input_lengths",
        "request_output_len",
        "end_id",
        "pad_id",
        "streaming",
        "stop",
        "beam_width",
        "temperature",
        "runtime_top_k",
        "runtime_top_p",
        "seed",
        "random_seed",
        "min_tokens",
        "num_return_sequences",
        "stop_words_list",
        "bad_words_list",
        "return_log_probs",
        "return_context_logits",
        "return_generation_logits",
        "exclude_input_in_output",
    )
    out: dict[str, NDArray[Any]] = {}
    for name in names:
        tensor = pb_utils.get_input_tensor_by_name(request, name)
        if tensor is not None:
            out[name] = tensor.as_numpy()
    return out


def _error(message: str) -> Any:
    return pb_utils.InferenceResponse(output_tensors=[], error=pb_utils.TritonError(message))


def _response(arrays: dict[str, NDArray[Any]]) -> Any:
    return pb_utils.InferenceResponse(
        output_tensors=[pb_utils.Tensor(name, value) for name, value in arrays.items()]
    )


class TritonPythonModel:
    def initialize(self, args: dict[str, Any]) -> None:
        config = json.loads(args["model_config"])
        self.decoupled = bool(pb_utils.using_decoupled_model_transaction_policy(config))
        try:
            self.params: Parameters = read_parameters(
                config, locator(Path(args["model_repository"]))
            )
            self.logits_type = logits_type(config)
            engine = read_engine(Path(self.params.engine_path))
            self.decoder = TinyDecoder(engine.decoder, engine.seed)
        except (ContractError, EngineFileError, EngineInputError) as exc:
            raise pb_utils.TritonModelException(str(exc)) from None
        self.limits = engine.limits
        for warning in self.params.warnings:
            pb_utils.Logger.log_warn(f"tensorrtllm stand-in: {warning}")
        # one item per execute() call: the dynamic batch arrives in the loop together
        self.incoming: queue.Queue[list[_Queued] | None] = queue.Queue()
        self.stops: queue.Queue[str] = queue.Queue()
        self.worker: threading.Thread | None = None
        if self.decoupled:
            self.worker = threading.Thread(target=self._loop, name="inflight", daemon=True)
            self.worker.start()

    # -- requests ---------------------------------------------------------------------------

    def _parse(self, request: Any) -> tuple[list[Request], list[str]]:
        inputs = _inputs(request)
        try:
            sequences = requests_from_inputs(inputs, self.params, self.decoupled)
        except (ContractError, EngineInputError):
            raise
        except Exception as exc:  # tensors of odd types or shapes: this request fails, alone
            raise ContractError(f"cannot read the request's tensors: {exc}") from None
        checked, warnings = [], []
        for sequence in sequences:
            ok, warning = checked_for_engine(sequence, self.limits)
            checked.append(ok)
            if warning:
                warnings.append(warning)
        return checked, warnings

    def _start(self, sequence: Request) -> Generation:
        return self.decoder.generate(
            sequence.input_ids,
            sequence.max_new_tokens,
            end_id=sequence.end_id,
            temperature=sequence.temperature,
            top_k=sequence.top_k,
            top_p=sequence.top_p,
            seed=sequence.seed,
            min_tokens=sequence.min_tokens,
            stop_words=sequence.stop_words,
            bad_words=sequence.bad_words,
            keep_context_logits=sequence.return_context_logits,
            keep_generation_logits=sequence.return_generation_logits,
        )

    def execute(self, requests: list[Any]) -> list[Any] | None:
        if not self.decoupled:
            return [self._answer(request) for request in requests]
        batch: list[_Queued] = []
        for request in requests:
            sender = request.get_response_sender()
            stop = pb_utils.get_input_tensor_by_name(request, "stop")
            if stop is not None and bool(stop.as_numpy().reshape(-1)[0]):
                # handleStopRequest: cancel the request with this id, answer with an empty final
                request_id = request.request_id()
                if not request_id:
                    sender.send(
                        _error("Trying to stop a request but request ID is not provided"),
                        flags=_FINAL,
                    )
                    continue
                self.stops.put(request_id)
                sender.send(pb_utils.InferenceResponse(output_tensors=[]), flags=_FINAL)
                continue
            try:
                sequences, warnings = self._parse(request)
            except (ContractError, EngineInputError) as exc:
                sender.send(_error(str(exc)), flags=_FINAL)
                continue
            for warning in warnings:
                pb_utils.Logger.log_warn(f"tensorrtllm stand-in: {warning}")
            requested = set(request.requested_output_names())
            batch.append((sender, sequences, requested, request.request_id()))
        if batch:
            self.incoming.put(batch)
        return None

    def _answer(self, request: Any) -> Any:
        """A non-decoupled request: one sequence, generated whole, one response."""
        try:
            sequences, warnings = self._parse(request)
            for warning in warnings:
                pb_utils.Logger.log_warn(f"tensorrtllm stand-in: {warning}")
            sequence = sequences[0]
            stream = self._start(sequence)
            tokens = list(stream)
        except (ContractError, EngineInputError) as exc:
            return _error(str(exc))
        shown = tokens if sequence.exclude_input_in_output else sequence.input_ids + tokens
        return _response(
            output_arrays(
                sequence,
                shown,
                stream.log_probs,
                set(request.requested_output_names()),
                stream.context_logits,
                stream.generation_logits,
                logits_type=self.logits_type,
            )
        )

    # -- the in-flight batching loop (decoupled models) -------------------------------------

    def _admit(self, active: list[_Active], waiting: list[_Active]) -> bool:
        """Queue new requests, then fill the batch up to the engine's max_batch_size.

        Blocks while nothing is active or waiting; False once the model is being finalized.
        As the executor does, sequences beyond max_batch_size wait for a free slot.
        """
        block = not active and not waiting
        while True:
            try:
                item = self.incoming.get(block=block)
            except queue.Empty:
                break
            if item is None:
                return False
            for sender, sequences, requested, request_id in item:
                group = _Group(sender, request_id, requested, len(sequences), len(sequences))
                for sequence in sequences:
                    try:
                        stream = self._start(sequence)
                    except EngineInputError as exc:
                        self._close(group, _error(str(exc)))
                        continue
                    waiting.append(_Active(sequence, group, stream))
            block = False
        room = max(1, self.limits["max_batch_size"]) - len(active)
        active.extend(waiting[:room])
        del waiting[:room]
        return True

    def _close(self, group: _Group, response: Any | None) -> None:
        group.open -= 1
        flags = _FINAL if group.open <= 0 else 0
        if response is None:
            if flags:
                group.sender.send(flags=flags)
            return
        group.sender.send(response, flags=flags)

    def _loop(self) -> None:
        active: list[_Active] = []
        waiting: list[_Active] = []
        while self._admit(active, waiting):
            stopped = set()
            while not self.stops.empty():
                stopped.add(self.stops.get())
            for item in list(active):
                try:
                    done = self._step(item, stopped)
                except Exception as exc:  # one failing sequence must not stop the others
                    pb_utils.Logger.log_error(f"tensorrtllm stand-in: {exc}")
                    self._end(item, _error(f"tensorrtllm stand-in failed: {exc}"), quiet=True)
                    done = True
                if done:
                    active.remove(item)
        # finalized with sequences still running: each request still gets its final response
        for item in active + waiting:
            message = "the model was unloaded before generation ended"
            self._end(item, _error(message), quiet=True)

    def _end(self, item: _Active, response: Any | None, quiet: bool = False) -> None:
        """Tell the sequence's group it ended (once); ``quiet`` logs a failing send instead."""
        if item.closed:
            return
        item.closed = True
        try:
            self._close(item.group, response)
        except Exception as exc:
            if not quiet:
                raise
            pb_utils.Logger.log_error(f"tensorrtllm stand-in: {exc}")

    def _step(self, item: _Active, stopped: set[str]) -> bool:
        """One iteration for one sequence; True when it is finished (its group told)."""
        group = item.group
        if group.sender.is_cancelled() or (group.request_id and group.request_id in stopped):
            self._end(item, None)
            return True
        try:
            token: int | None = next(item.stream)
        except StopIteration:
            token = None
        except EngineInputError as exc:
            self._end(item, _error(str(exc)))
            return True
        if token is not None:
            item.tokens.append(token)
        last = token is None or bool(item.stream.finish_reason)
        if item.request.streaming:
            piece = [] if token is None else [token]
            log_probs = item.stream.log_probs[-1:] if token is not None else []
            arrays = self._arrays(item, piece, log_probs)
            if last:
                self._end(item, _response(arrays))
            else:
                group.sender.send(_response(arrays))
        elif last:
            shown = item.tokens
            if not item.request.exclude_input_in_output:
                shown = item.request.input_ids + item.tokens
            self._end(item, _response(self._arrays(item, shown, item.stream.log_probs)))
        return last

    def _arrays(self, item: _Active, tokens: list[int], log_probs: list[float]) -> Any:
        first = len(item.tokens) <= 1
        return output_arrays(
            item.request,
            tokens,
            log_probs,
            item.group.requested,
            item.stream.context_logits if first or not item.request.streaming else None,
            item.stream.generation_logits[-len(tokens) :] if tokens else None,
            item.group.size,
            self.logits_type,
        )

    def finalize(self) -> None:
        if self.worker is not None:
            self.incoming.put(None)
            self.worker.join(timeout=10)
