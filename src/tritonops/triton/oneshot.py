"""One request and its answer, output by output: the smoke checks' inference.

A smoke check asks whether a served model answers what its config declares, so the answer keeps
what a transport would smooth over: an output the model did not return is absent, and one whose
data came back malformed is reported with tritonclient's reason instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from numpy.typing import NDArray

from tritonops.errors import TritonOpsError
from tritonops.triton import connect
from tritonops.triton.failures import reraised
from tritonops.triton.requests import infer_inputs, requested_outputs


@dataclass(frozen=True)
class OneAnswer:
    """The outputs that came back by name; ``malformed`` holds those that could not be read."""

    outputs: dict[str, NDArray[Any]]
    malformed: dict[str, str] = field(default_factory=dict)


def infer_once(
    http_url: str,
    model: str,
    arrays: Mapping[str, NDArray[Any]],
    *,
    outputs: Sequence[str],
    error: type[TritonOpsError],
    datatypes: Mapping[str, str] | None = None,
    version: str = "",
    sequence: bool = False,
    timeout_s: float = 60.0,
) -> OneAnswer:
    """Send one request asking for ``outputs``; a failed call raises ``error``.

    ``sequence`` makes it a whole sequence of one request (correlation ID 1, start and end),
    which a sequence-batched model needs.
    """
    client = connect.http_client(http_url, network_timeout=timeout_s)
    flags = {"sequence_id": 1, "sequence_start": True, "sequence_end": True} if sequence else {}
    try:
        with reraised(error):
            result = client.infer(
                model,
                infer_inputs("http", arrays, datatypes),
                model_version=version,
                outputs=requested_outputs("http", outputs),
                **flags,
            )
    finally:
        client.close()
    return read_answer(result, outputs)


def read_answer(result: Any, outputs: Sequence[str]) -> OneAnswer:
    """``outputs`` of a tritonclient result (HTTP or gRPC), as ``OneAnswer`` keeps them."""
    got: dict[str, NDArray[Any]] = {}
    malformed: dict[str, str] = {}
    for name in outputs:
        try:
            array = result.as_numpy(name)
        except ValueError as exc:  # e.g. a shape whose data never came back
            malformed[name] = str(exc)
            continue
        if array is not None:
            got[name] = array
    return OneAnswer(got, malformed)
