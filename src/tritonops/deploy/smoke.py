"""One smoke inference per model, with inputs synthesized from its (served) config.

A model that loads can still be wrong at inference (Triton 2.51 answers HTTP 200 with no outputs
when model.py emits another name than the config declares), so every declared output is checked.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import numpy as np
import tritonclient.http as httpclient
from google.protobuf import json_format
from tritonclient.utils import InferenceServerException

from tritonops.errors import DeployError
from tritonops.model_config import ModelConfig, from_proto
from tritonops.model_config.proto import ProtoConfig
from tritonops.model_config.samples import sample_inputs
from tritonops.repository.validate.report import LoadResult

# One record type for "how did this model do in a real server", shared with validate's report.
SmokeResult = LoadResult


class SmokeNotPossible(DeployError):
    """The model cannot be smoked with one plain request (a decoupled model streams)."""


def served_config(http_url: str, model: str) -> ModelConfig:
    """The config the server actually loaded (auto-complete included)."""
    try:
        with urllib.request.urlopen(f"http://{http_url}/v2/models/{model}/config", timeout=30) as r:
            data = json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeployError(f"cannot read the served config of {model!r}: {exc}") from exc
    message = ProtoConfig()
    json_format.ParseDict(data, message, ignore_unknown_fields=True)
    return from_proto(message)


def served_versions(http_url: str, model: str) -> list[str]:
    try:
        with urllib.request.urlopen(f"http://{http_url}/v2/models/{model}", timeout=30) as r:
            return [str(v) for v in json.loads(r.read()).get("versions", [])]
    except (urllib.error.URLError, OSError, ValueError):
        return []


def smoke_infer(http_url: str, config: ModelConfig, version: str = "") -> float:
    """Send one request; return its latency in ms. Raises DeployError saying what was wrong."""
    if config.model_transaction_policy and config.model_transaction_policy.decoupled:
        raise SmokeNotPossible(
            "decoupled models answer over a stream; smoke them with gRPC streaming"
        )
    inputs = []
    for name, array in sample_inputs(config, rng=np.random.default_rng(0)).items():
        tensor = next(t for t in config.input if t.name == name)
        item = httpclient.InferInput(name, list(array.shape), tensor.data_type.api_name)
        item.set_data_from_numpy(array, binary_data=True)
        inputs.append(item)
    outputs = [httpclient.InferRequestedOutput(o.name, binary_data=True) for o in config.output]
    client = httpclient.InferenceServerClient(http_url, network_timeout=60.0)
    started = time.perf_counter()
    try:
        # a sequence-batched model needs a correlation ID: one sequence of one request
        sequence = {"sequence_id": 1, "sequence_start": True, "sequence_end": True}
        result = client.infer(
            config.name,
            inputs,
            model_version=version,
            outputs=outputs or None,
            **(sequence if config.sequence_batching is not None else {}),
        )
    except InferenceServerException as exc:
        raise DeployError(str(exc.message() or exc)) from exc
    finally:
        client.close()
    latency_ms = (time.perf_counter() - started) * 1000
    problems = check_outputs(config, result)
    if problems:
        raise DeployError("; ".join(problems))
    return latency_ms


def check_outputs(config: ModelConfig, result: Any) -> list[str]:
    problems = []
    batch = [1] if config.max_batch_size > 0 else []
    for output in config.output:
        try:
            array = result.as_numpy(output.name)
        except ValueError as exc:  # e.g. a shape whose data never came back
            problems.append(f"output {output.name!r} came back malformed: {exc}")
            continue
        if array is None:
            problems.append(
                f"output {output.name!r} is declared in config.pbtxt but the model did not return "
                "it — make the model emit that name or fix the config"
            )
            continue
        # clients get ``dims``: the server turns the model's reshape shape back into them
        # (model_config.proto, ModelTensorReshape; checked on the embedded server)
        expected = batch + list(output.dims)
        if len(array.shape) != len(expected) or any(
            e != -1 and e != g for e, g in zip(expected, array.shape, strict=True)
        ):
            problems.append(
                f"output {output.name!r} has shape {list(array.shape)}, config says {expected}"
            )
    return problems
