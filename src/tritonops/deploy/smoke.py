"""One smoke inference per model, with inputs synthesized from its (served) config.

A model that loads can still be wrong at inference (Triton 2.51 answers HTTP 200 with no outputs
when model.py emits another name than the config declares), so every declared output is checked.
"""

from __future__ import annotations

import time

import numpy as np

from tritonops.errors import DeployError
from tritonops.model_config import ModelConfig
from tritonops.model_config.samples import sample_inputs
from tritonops.repository.validate.report import LoadResult
from tritonops.triton import rest
from tritonops.triton.oneshot import OneAnswer, infer_once
from tritonops.triton.served import served_config as fetch_served

# One record type for "how did this model do in a real server", shared with validate's report.
SmokeResult = LoadResult


class SmokeNotPossible(DeployError):
    """The model cannot be smoked with one plain request (a decoupled model streams)."""


def served_config(http_url: str, model: str) -> ModelConfig:
    """The config the server actually loaded (auto-complete included)."""
    return fetch_served(http_url, model, error=DeployError)


def served_versions(http_url: str, model: str) -> list[str]:
    return rest.model_versions(http_url, model)


def smoke_infer(http_url: str, config: ModelConfig, version: str = "") -> float:
    """Send one request; return its latency in ms. Raises DeployError saying what was wrong."""
    if config.model_transaction_policy and config.model_transaction_policy.decoupled:
        raise SmokeNotPossible(
            "decoupled models answer over a stream; smoke them with gRPC streaming"
        )
    started = time.perf_counter()
    answer = infer_once(
        http_url,
        config.name,
        sample_inputs(config, rng=np.random.default_rng(0)),
        outputs=[o.name for o in config.output],
        error=DeployError,
        datatypes={t.name: t.data_type.api_name for t in config.input},
        version=version,
        # a sequence-batched model needs a correlation ID: one sequence of one request
        sequence=config.sequence_batching is not None,
    )
    latency_ms = (time.perf_counter() - started) * 1000
    problems = check_outputs(config, answer)
    if problems:
        raise DeployError("; ".join(problems))
    return latency_ms


def check_outputs(config: ModelConfig, answer: OneAnswer) -> list[str]:
    problems = []
    batch = [1] if config.max_batch_size > 0 else []
    for output in config.output:
        if output.name in answer.malformed:
            problems.append(
                f"output {output.name!r} came back malformed: {answer.malformed[output.name]}"
            )
            continue
        array = answer.outputs.get(output.name)
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
