"""A python model's source as the checks share it: located, parsed once, its auto-complete read.

Also the tensors Triton itself supplies to a model (sequence controls and states), which model.py
may read without an ``input`` entry.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.python_autocomplete import (
    PythonCompletion,
    find_auto_complete,
    read_completion,
)
from tritonops.repository.validate.safe_read import (
    SOURCE_LIMIT,
    UnreadableFile,
    read_source,
    regular_file,
)

# model.py larger than this is not read: nothing handwritten is that big, and the parse would cost
# more than the whole repository's other checks; reported as not checked rather than guessed at.
NOT_CHECKED = "not checked statically"


def model_py(folder: ModelFolder) -> Path | None:
    """The model.py of the newest served (else newest present) version, if there is one."""
    versions = folder.selected or sorted(folder.versions)
    if not versions:
        return None
    name = "model.py"
    if folder.config is not None and folder.config.default_model_filename:
        name = folder.config.default_model_filename
    path = folder.path / folder.versions[max(versions)] / name
    return path if path.is_file() else None


def parse_source(path: Path) -> ast.Module | str:
    """The parsed file, or why it cannot be parsed ("line N: ..." when the line is known)."""
    info = regular_file(path)
    if info is not None and info.st_size > SOURCE_LIMIT:
        return f"larger than {SOURCE_LIMIT // (1024 * 1024)} MiB; {NOT_CHECKED}"
    try:
        data = read_source(path)  # never blocks on a FIFO, never reads /dev/zero forever
    except UnreadableFile as exc:
        return f"cannot be read: {exc.reason}"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    try:
        return ast.parse(data)
    except SyntaxError as exc:
        return f"line {exc.lineno}: {exc.msg}"
    except (RecursionError, MemoryError):
        # CPython's import of the file fails the same way (its parser limits nesting)
        return "nested too deeply for Python's parser (RecursionError/MemoryError)"
    except ValueError as exc:  # e.g. null bytes in the source
        return str(exc)


def parsed_model(folder: ModelFolder) -> tuple[Path, ast.Module | str] | None:
    """model.py and its parse, computed once per folder (several checks read it)."""
    key = "python.parsed"
    if key not in folder.cache:
        path = model_py(folder)
        folder.cache[key] = None if path is None else (path, parse_source(path))
    result: tuple[Path, ast.Module | str] | None = folder.cache[key]
    return result


def python_completion(folder: ModelFolder) -> PythonCompletion | None:
    """What auto_complete_config adds, or None when the model defines none (or is unreadable)."""
    key = "python.completion"
    if not folder.cache.get("auto_complete", True):
        return None  # the server does not call auto_complete_config
    if key not in folder.cache:
        parsed = parsed_model(folder)
        completion = None
        if parsed is not None and not isinstance(parsed[1], str):
            func = find_auto_complete(parsed[1])
            if func is not None:
                completion = read_completion(func)
        folder.cache[key] = completion
    result: PythonCompletion | None = folder.cache[key]
    return result


def supplied_inputs(config: Any) -> set[str]:
    """Tensors Triton feeds the model without an ``input`` entry: sequence controls and states.

    model_config.proto, ModelSequenceBatching: each control_input names a tensor the sequence
    batcher sends to the model; each state's input_name is an input the batcher fills and its
    output_name an output it reads back.
    """
    if not config.HasField("sequence_batching"):
        return set()
    seq = config.sequence_batching
    names = {c.name for c in seq.control_input if c.name}
    names |= {s.input_name for s in seq.state if s.input_name}
    return names


def supplied_outputs(config: Any) -> set[str]:
    """Outputs the sequence batcher reads back as state (``state.output_name``)."""
    if not config.HasField("sequence_batching"):
        return set()
    return {s.output_name for s in config.sequence_batching.state if s.output_name}


def check_completion(folder: ModelFolder, rel: str, completion: PythonCompletion) -> bool:
    """The load-time rules of the python backend's ModelConfig helper (python_autocomplete).

    True when one is broken: the load fails there, so nothing later is worth comparing.
    """
    before = len(folder.sink)
    _check_completion(folder, rel, completion)
    return len(folder.sink) > before


def _check_completion(folder: ModelFolder, rel: str, completion: PythonCompletion) -> None:
    for misuse in completion.misuse:
        folder.report("TRITON-P006", misuse.message, misuse.hint, file=rel, line=misuse.line)
    if not completion.returns:
        folder.report(
            "TRITON-P007",
            f"auto_complete_config in {rel} returns nothing; the python backend reads the "
            "config it returns and the load fails",
            "end auto_complete_config with `return auto_complete_model_config`",
            file=rel,
        )
    config = folder.config
    if config is None:
        return
    for line, size in completion.max_batch_size:
        if config.max_batch_size > size:
            _conflict(
                folder,
                rel,
                line,
                f"set_max_batch_size({size}) is below config.pbtxt's max_batch_size "
                f"{config.max_batch_size}; the python backend refuses to lower it",
                f"set max_batch_size <= {size} in config.pbtxt or raise the value in model.py",
            )
    scheduler = (
        "sequence_batching"
        if config.HasField("sequence_batching")
        else "ensemble_scheduling"
        if config.HasField("ensemble_scheduling")
        else ""
    )
    if completion.dynamic_batching_line is not None and scheduler:
        _conflict(
            folder,
            rel,
            completion.dynamic_batching_line,
            f"set_dynamic_batching() on a model whose config.pbtxt uses {scheduler}; the python "
            "backend refuses the second scheduler",
            f"drop set_dynamic_batching() or the {scheduler} block",
        )
    if completion.decoupled is not None and config.HasField("model_transaction_policy"):
        line, decoupled = completion.decoupled
        if config.model_transaction_policy.decoupled != decoupled:
            _conflict(
                folder,
                rel,
                line,
                f"set_model_transaction_policy(decoupled={decoupled}) contradicts config.pbtxt "
                f"(decoupled: {str(config.model_transaction_policy.decoupled).lower()})",
                "make both say the same",
            )
    for kind, declared, added in (
        ("input", config.input, completion.inputs),
        ("output", config.output, completion.outputs),
    ):
        by_name = {t.name: t for t in declared}
        for line, tensor in added:
            current = by_name.get(str(tensor["name"]))
            if current is not None:
                _tensor_conflict(folder, rel, line, kind, current, tensor)


def _tensor_conflict(
    folder: ModelFolder, rel: str, line: int, kind: str, current: Any, tensor: dict[str, Any]
) -> None:
    from tritonclient.grpc import model_config_pb2 as pb

    name = tensor["name"]
    declared_type = pb.DataType.Name(current.data_type)
    if declared_type != "TYPE_INVALID" and declared_type != tensor["data_type"]:
        _conflict(
            folder,
            rel,
            line,
            f"auto_complete_config adds {kind} '{name}' as {tensor['data_type']} but config.pbtxt "
            f"declares {declared_type}",
            "make the data types agree",
        )
        return
    dims = list(current.dims)
    if dims and list(tensor["dims"]) != dims:
        _conflict(
            folder,
            rel,
            line,
            f"auto_complete_config adds {kind} '{name}' with dims {list(tensor['dims'])} but "
            f"config.pbtxt declares {dims}",
            "make the dims agree",
        )
        return
    if (
        kind == "input"
        and "optional" in tensor
        and current.optional != bool(tensor["optional"])
        and current.optional
    ):
        # the helper compares only when both sides set it; proto3 cannot tell an unset false
        _conflict(
            folder,
            rel,
            line,
            f"auto_complete_config adds input '{name}' with optional {tensor['optional']} but "
            "config.pbtxt declares optional: true",
            "make `optional` agree",
        )


def _conflict(folder: ModelFolder, rel: str, line: int, message: str, hint: str) -> None:
    folder.report("TRITON-P008", message, hint, file=rel, line=line)
