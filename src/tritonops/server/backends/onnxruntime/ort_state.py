"""Implicit state (``sequence_batching.state``) for the local onnxruntime stand-in.

What production does (server docs/user_guide/implicit_state_management.md; core
src/sequence_state.cc and sequence_batch_scheduler.cc; onnxruntime_backend src/onnxruntime.cc
ReadOutputTensors): Triton's core adds each state's ``input_name`` to every request of a sequence.
On the request that starts a sequence the core initialises it (zeros for ``zero_data``, the
``data_file``'s bytes, or uninitialised memory when no ``initial_state`` is given; a ``-1`` in the
state's dims becomes 1). The C++ backend runs the graph, hands each request's slice of the
``output_name`` tensor back to the core (TRITONBACKEND_StateNew/StateUpdate), and the core feeds it
as the input state of the sequence's next request. The output state reaches the client only when
it is also listed under ``output``.

Why the stand-in keeps the state itself: the python backend of tritonserver 2.51 never calls
TRITONBACKEND_StateNew/StateUpdate (its libtriton_python.so does not reference them), so the
core's input state stays at its initial value for the whole sequence (checked on the embedded
server: a python model answering a new state saw the initial zeros again on the next request).
The core still routes every request of a sequence to one model instance, marks the first and
last with the START/END flags, and hands the initial state on START, so this module stores each
sequence's output state per correlation ID and feeds it back on the sequence's next request.
The values a client sees are those production computes.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from numpy.typing import NDArray

# TRITONSERVER_RequestFlag values, as the python backend exposes them on request.flags()
_START = 1
_END = 2


class StateSpec:
    """One ``sequence_batching.state`` entry: the graph input and output that carry it."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self.input_name: str = entry.get("input_name", "")
        self.output_name: str = entry.get("output_name", "")
        self.data_type: str = entry.get("data_type", "")


def state_specs(config: dict[str, Any]) -> list[StateSpec]:
    sequence = config.get("sequence_batching") or {}
    return [StateSpec(entry) for entry in sequence.get("state") or []]


def _live_sequences(config: dict[str, Any]) -> int:
    """How many sequences one instance can hold at once, at least: the core's sequence slots
    (core sequence_batch_scheduler.cc: max(1, max_batch_size), or the oldest strategy's
    max_candidate_sequences when set)."""
    sequence = config.get("sequence_batching") or {}
    slots = max(int(config.get("max_batch_size", 0) or 0), 1)  # direct: one slot per batch item
    oldest = sequence.get("oldest")
    if isinstance(oldest, dict):
        slots = max(int(oldest.get("max_candidate_sequences", 0) or 0), slots)
    return slots


class SequenceStore:
    """Each live sequence's last output states, keyed by correlation ID, in one model instance.

    A sequence is forgotten at its END request. One that the core drops for idling past
    ``max_sequence_idle_microseconds`` can only come back with a START, which resets it, so the
    oldest entries beyond what the instance can hold at once are dropped too (bounded memory).
    """

    def __init__(self, config: dict[str, Any]) -> None:
        self.specs = state_specs(config)
        self.capacity = max(4 * _live_sequences(config), 256)
        self._states: OrderedDict[Any, dict[str, NDArray[Any]]] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self.specs)

    @property
    def output_names(self) -> list[str]:
        return [spec.output_name for spec in self.specs]

    def inputs(self, request: Any) -> dict[str, NDArray[Any]] | None:
        """The states to feed for this request; None: take the core's (a sequence's start)."""
        if request.flags() & _START:
            return None
        return self._states.get(request.correlation_id())

    def keep(self, request: Any, outputs: dict[str, NDArray[Any]]) -> None:
        """Remember this request's output states for its sequence's next request."""
        key = request.correlation_id()
        if request.flags() & _END:
            self._states.pop(key, None)
            return
        self._states[key] = {
            spec.input_name: outputs[spec.output_name].copy() for spec in self.specs
        }
        self._states.move_to_end(key)
        while len(self._states) > self.capacity:
            self._states.popitem(last=False)
