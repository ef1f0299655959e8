"""tensorrtllm backend models: the config.pbtxt parameters and logits outputs the backend reads.

The rules are ``tritonops.llm.trtllm_contract``'s, the ones the tensorrtllm stand-in applies at
load, each with its place in the TensorRT-LLM backend's source (``inflight_batcher_llm``
model_state.cc / model_instance_state.cc). Errors and warnings follow the real backend: a required
parameter that is missing or refused (``gpt_model_type``, the engine path, lookahead decoding
without its three sizes, a logits output that is neither FP32 nor FP16) fails the load, and the
backend stops at the first; the guided-decoding trio is only a warning when missing, because
backend releases before guided decoding never read it; an optional one that is missing, does not
parse, or names an unknown policy or decoding mode is logged and replaced by its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.protobuf.json_format import MessageToDict

from tritonops.llm.trtllm_contract import (
    ALWAYS_READ,
    ContractError,
    logits_type,
    read_parameters,
)
from tritonops.repository.validate.model import ModelFolder

BACKEND = "tensorrtllm"
# optional parameters whose absence the backend only logs: reported together, once per model
_ABSENT = "Cannot find parameter with name"


def check_trtllm(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.is_ensemble or folder.backend != BACKEND:
        return
    as_json = MessageToDict(config, preserving_proto_field_name=True)
    params = as_json.get("parameters")
    values = (
        {str(k): str(v.get("string_value", "")) for k, v in params.items()}
        if isinstance(params, dict)
        else {}
    )
    if not values.get("gpt_model_path") and values.get("encoder_model_path"):
        # an encoder-decoder engine: the real backend runs it (the local stand-in cannot, and
        # validate --load says so); only the other parameters are checked here
        params["gpt_model_path"] = params["encoder_model_path"]
    _guided_decoding_trio(folder, as_json, values)
    try:
        # where the engine and tokenizer info will be is the server's business: not checked here
        parsed = read_parameters(as_json, Path)
    except ContractError as exc:
        key = _named(str(exc), values)
        message, _, fix = str(exc).partition(" — ")
        folder.report(
            "TRITON-G007",
            f"the tensorrtllm backend refuses to load '{folder.name}': {message}",
            fix,
            path=f'parameters["{key}"]' if key in values else ("parameters" if values else "name"),
        )
    else:
        _warn(folder, parsed.warnings, values)
    try:
        logits_type(as_json)
    except ContractError as exc:
        _logits(folder, config, str(exc))


def _guided_decoding_trio(
    folder: ModelFolder, as_json: dict[str, Any], values: dict[str, str]
) -> None:
    # Backend releases with guided decoding read these three with no fallback and fail without
    # them; releases before it never read them, and their repositories (still served widely) lack
    # them. Which release added them is not pinned here, so a missing one is a warning, not an
    # error, and the rest of the parameters are checked as if it were empty.
    missing = [key for key in ALWAYS_READ if key not in values]
    if not missing:
        return
    params = as_json.setdefault("parameters", {})
    for key in missing:
        params[key] = {"string_value": ""}
    folder.report(
        "TRITON-G008",
        f"'{folder.name}' has no {', '.join(missing)} parameter: the tensorrtllm backend releases"
        " that support guided decoding read them with no default and refuse to load without"
        " them (older releases ignore them)",
        'add each with an empty value, e.g. parameters { key: "'
        + missing[0]
        + '" value: { string_value: "" } }',
        path="parameters" if values else "name",
    )


def _named(message: str, values: dict[str, str]) -> str:
    """The parameter an error is about: the first one it names that the config has (or lacks)."""
    for key in (
        "gpt_model_type",
        "decoding_mode",
        "xgrammar_tokenizer_info_path",
        "guided_decoding_backend",
        "tokenizer_dir",
        "gpt_model_path",
        "encoder_model_path",
    ):
        if key in message:
            return key
    return ""


def _warn(folder: ModelFolder, warnings: tuple[str, ...], values: dict[str, str]) -> None:
    absent: list[str] = []
    for warning in warnings:
        key = warning.split(":", 1)[0].split(" ", 1)[0]
        if "${" in values.get(key, ""):
            continue  # an unfilled template value: TRITON-S015 says so already
        if _ABSENT in warning:
            fallback = warning.rsplit("; ", 1)[-1]
            absent.append(f"{key} ({fallback})" if fallback != warning else key)
            continue
        folder.report(
            "TRITON-G008",
            f"the tensorrtllm backend ignores parameters['{key}'] of '{folder.name}' and falls "
            f"back to its default: {warning}",
            f"give {key} a value the backend reads, or remove it to use the default knowingly",
            path=f'parameters["{key}"]' if key in values else "parameters",
        )
    if absent:
        folder.report(
            "TRITON-G008",
            f"'{folder.name}' leaves optional tensorrtllm parameters unset, so the backend logs "
            f"a warning for each and uses its default: {', '.join(absent)}",
            "set them in parameters to pin the values (tensorrtllm_backend docs/model_config.md "
            "lists each)",
            path="parameters" if values else "name",
        )


def _logits(folder: ModelFolder, config: Any, message: str) -> None:
    text, _, fix = message.partition(" — ")
    index = next(
        (
            i
            for i, output in enumerate(config.output)
            if output.name in ("generation_logits", "context_logits")
        ),
        None,
    )
    folder.report(
        "TRITON-G009",
        f"the tensorrtllm backend answers '{folder.name}' logits as TYPE_FP32 or TYPE_FP16 only "
        f"and fails otherwise: {text}",
        fix,
        path=f"output[{index}].data_type" if index is not None else "output",
    )
