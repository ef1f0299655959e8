"""vllm backend models: `<version>/model.json` and the config, as the vLLM backend takes them.

No rule is re-derived here. model.json is read with ``tritonops.llm.vllm_contract`` (what the
vllm stand-in, and the real backend's ``src/model.py``, refuse at load: a missing file, text that
is not a JSON object, a key ``AsyncEngineArgs`` does not take, a value out of vLLM's limits) and
typed with ``tritonops.spec.vllm`` (the engine-argument schema and the rules across fields that a
``kind: vllm`` model of a project gets). Each of those modules names its sources in vllm_backend
and vLLM. So a hand-written vllm repository gets the verdicts a rendered one gets in the project
file, located in model.json instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from tritonclient.grpc import model_config_pb2 as pb

from tritonops.errors import SpecIssue
from tritonops.llm.vllm_contract import ContractError, engine_args_from_text, engine_problem
from tritonops.repository.validate.backends import auto_complete
from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.safe_read import (
    UnreadableFile,
    decode,
    exists,
    read_bytes,
)
from tritonops.spec.issues import Locator, validation_issues
from tritonops.spec.vllm import (
    BACKEND,
    ENGINE_ARGS_FILE,
    VllmEngineArgs,
    check_engine_args,
)
from tritonops.spec.yamlmarks import read_yaml

# what the vLLM backend's auto_complete_config sets (vllm_backend src/model.py): decoupled
_FILLED_BY_BACKEND = "the vLLM backend's auto_complete_config sets it to true"


def check_vllm(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.is_ensemble or folder.backend != BACKEND:
        return
    _check_decoupled(folder, config)
    widest = 1
    for version in folder.selected:
        args = _engine_args(folder, folder.versions[version])
        if args is not None:
            widest = max(widest, _world_size(args))
    _check_placement(folder, config, widest)


def _check_decoupled(folder: ModelFolder, config: Any) -> None:
    """vllm_backend src/model.py ``initialize`` refuses a model that is not decoupled ("vLLM
    Triton backend must be configured to use decoupled model transaction policy").

    Its ``auto_complete_config`` sets decoupled to true, which works only where the config has no
    ``model_transaction_policy`` at all: one written out, even ``{ decoupled: false }`` or empty,
    reaches the backend as false, and the python backend refuses to change it ("trying to change
    decoupled property in auto-complete-config ... already set to 'False'"). Both checked on
    tritonserver 2.51 with a python model whose auto-complete does what vllm_backend's does.
    Left out, it is an error only without auto-complete; a warning otherwise, since the local
    vllm stand-in of ``validate --load`` has no auto-complete and refuses it.
    """
    if config.model_transaction_policy.decoupled:
        return
    written = config.HasField("model_transaction_policy")
    if not written and auto_complete(folder):
        folder.report(
            "TRITON-G005",
            f"vllm model '{folder.name}' does not say it is decoupled; {_FILLED_BY_BACKEND} on a "
            "production Triton, but a server without auto-complete (and the local stand-in of "
            "validate --load) refuses to load it",
            "add `model_transaction_policy { decoupled: true }` to config.pbtxt",
            path="name",
            severity="warning",
        )
        return
    reason = (
        "the vLLM backend's auto-complete cannot turn on a decoupled property the config sets "
        "('trying to change decoupled property')"
        if written and auto_complete(folder)
        else "'vLLM Triton backend must be configured to use decoupled model transaction policy'"
    )
    folder.report(
        "TRITON-G005",
        f"vllm model '{folder.name}' is not decoupled, so it fails to load: {reason}",
        "set `model_transaction_policy { decoupled: true }` in config.pbtxt",
        path="model_transaction_policy" if written else "name",
    )


def _engine_args(folder: ModelFolder, version_dir: str) -> Mapping[str, Any] | None:
    """model.json of one served version, reported as the backend would refuse it; None when it
    cannot be read as a JSON object."""
    rel = folder.rel(version_dir, ENGINE_ARGS_FILE)
    path = folder.path / version_dir / ENGINE_ARGS_FILE
    if not exists(path):
        folder.report(
            "TRITON-G001",
            f"'{rel}' is missing: Triton's vLLM backend reads the engine arguments from "
            f"'{ENGINE_ARGS_FILE}' in the version folder and fails to load without it",
            f'write {rel} with at least {{"model": "<Hugging Face id or model folder>"}}',
            file=rel,
        )
        return None
    try:
        text = decode(path, read_bytes(path))
        args = engine_args_from_text(text, rel)
    except UnreadableFile as exc:
        folder.report(
            "TRITON-G002",
            f"'{rel}' cannot be read: {exc.reason}",
            exc.hint,
            file=rel,
            line=getattr(exc, "line", None),
        )
        return None
    except RecursionError:
        folder.report(
            "TRITON-G002",
            f"'{rel}' nests too deeply to read as JSON; the vLLM backend fails to load the model",
            "write model.json as a flat object of engine arguments",
            file=rel,
        )
        return None
    except ContractError as exc:
        message, _, fix = str(exc).partition(" — ")
        folder.report(
            "TRITON-G002",
            f"{message}; the vLLM backend fails to load the model",
            fix or 'write a JSON object of engine arguments, e.g. {"model": "facebook/opt-125m"}',
            file=rel,
            line=exc.line,
        )
        return None
    _check_args(folder, rel, text, args)
    return args


def _check_args(folder: ModelFolder, rel: str, text: str, args: Mapping[str, Any]) -> None:
    """Every key and value of model.json against vLLM's engine arguments, each located."""
    at = Locator(rel, read_yaml(text).marks)  # JSON is YAML: the same marks give lines
    found = 0
    if "model" not in args:
        # AsyncEngineArgs has a default model, so vLLM loads (a small demo model, not yours): a
        # surprise worth a warning, not a load failure; the other keys are checked as given
        folder.report(
            "TRITON-G010",
            f"{rel} names no model: vLLM loads its own default demo model instead of yours",
            'add "model": "<Hugging Face id or model folder>"',
            file=rel,
            line=1,
        )
        args = {**args, "model": "default"}
    typed: VllmEngineArgs | None = None
    try:
        typed = VllmEngineArgs.model_validate(args)
    except ValidationError as exc:
        bad = set()
        for error in exc.errors():
            unknown = error["type"] == "extra_forbidden"
            bad.add(error["loc"][0] if error["loc"] else "")
            for issue in validation_issues([error], VllmEngineArgs, (), at):
                found += 1
                _report(folder, "TRITON-G003" if unknown else "TRITON-G004", issue, unknown)
        # the rules across fields still hold among the keys that are right
        try:
            typed = VllmEngineArgs.model_validate({k: v for k, v in args.items() if k not in bad})
        except ValidationError:
            typed = None
    if typed is not None:
        for issue in check_engine_args(typed, (), at):
            found += 1
            _report(folder, "TRITON-G004", issue, False)
    problem = engine_problem(args) if not found else None
    if problem is not None:  # what the stand-in refuses beyond the schema (e.g. a quoted number)
        folder.report(
            "TRITON-G004",
            f"{rel}: {problem}; the vLLM backend fails to load the model",
            "fix the value in model.json",
            file=rel,
        )


def _report(folder: ModelFolder, code: str, issue: SpecIssue, unknown: bool) -> None:
    what = (
        "is not an engine argument of vLLM (AsyncEngineArgs refuses it, so the model fails to load)"
        if unknown
        else "is refused by vLLM when the model loads"
    )
    where = f"{issue.path}: " if issue.path else ""
    folder.report(
        code,
        f"{issue.file}: {where}{issue.message}; {what}",
        issue.fix,
        file=issue.file,
        line=issue.line,
    )


def _world_size(args: Mapping[str, Any]) -> int:
    size = 1
    for key in ("tensor_parallel_size", "pipeline_parallel_size"):
        value = args.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 1:
            size *= value
    return size


def _check_placement(folder: ModelFolder, config: Any, world: int) -> None:
    """vllm_backend src/model.py ``_validate_device_config``: a KIND_GPU instance is given one
    GPU, so an engine spread over tensor_parallel_size x pipeline_parallel_size > 1 GPUs is
    refused there; KIND_MODEL lets vLLM place its workers (the rule ``check_vllm`` of the project
    file applies to a ``kind: vllm`` model)."""
    if world <= 1:
        return
    for i, group in enumerate(config.instance_group):
        if group.kind == pb.ModelInstanceGroup.KIND_GPU:
            folder.report(
                "TRITON-G006",
                f"instance_group[{i}] is KIND_GPU, which gives each instance one GPU, but "
                f"model.json spreads the engine over {world} (tensor_parallel_size x "
                "pipeline_parallel_size); the vLLM backend refuses to load it",
                "set kind: KIND_MODEL and let vLLM place its workers",
                path=f"instance_group[{i}].kind",
            )
