"""Free-form string values Triton acts on: the backend ``runtime`` library and ``parameters``."""

from __future__ import annotations

import posixpath
import re

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.python_model import model_py
from tritonops.repository.validate.safe_read import (
    UnreadableFile,
    decode,
    exists,
    first_undecodable,
    read_source,
)

# Python-based backends are recognised by this exact runtime name (core src/backend_model.cc,
# GetBackendLibraryProperties: `is_python_based_backend = runtime == kPythonFilename`).
_PYTHON_RUNTIME = "model.py"
# A shared library file name: libfoo.so, libfoo.so.1 (dlopen'ed by core's backend manager).
_LIBRARY = re.compile(r"\.so(\.\d+)*$|\.dll$")
# ${name}: the placeholder syntax of the templates Triton's repositories ship (e.g.
# tensorrtllm_backend's all_models/, filled by tools/fill_template.py with string.Template).
_PLACEHOLDER = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def check_text(folder: ModelFolder) -> None:
    """Characters of config.pbtxt that Triton's C++ text parser treats differently from Python's.

    protobuf's C++ tokenizer (io/tokenizer.cc, used by Triton) ends a string at a NUL byte
    ("Unexpected end of string") and refuses one outside strings ("Invalid control characters
    encountered in text"); Python's parser reads it. Checked on tritonserver 2.51: a NUL inside a
    parameters value fails the load, while other control characters (\\x01, tab) inside strings and
    invalid UTF-8 in a string or a comment load fine. So a NUL is an error, bad UTF-8 a warning.
    """
    text = folder.text
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        folder.report(
            "TRITON-S016",
            f"{folder.config_file} holds a NUL character at line {line}, column {column}; "
            "Triton's parser stops there and the model does not load",
            "remove the NUL byte (write \\000 inside a string if it is meant as data)",
            line=line,
        )
    if "\ufffd" in text:
        bad = first_undecodable(folder.path / "config.pbtxt")
        if bad is not None:
            folder.report(
                "TRITON-S017",
                f"{folder.config_file} is not valid UTF-8: {bad.reason}; Triton loads it, but "
                "names and values with such bytes cannot be typed by clients or tools",
                "save the file as UTF-8",
                line=bad.line,
            )


def check_runtime(folder: ModelFolder) -> None:
    """``runtime`` names a library found in the version folder, the model folder or the backend's.

    core src/backend_model.cc searches [<model>/<version>, <model>, <backends>/<backend>] for it
    (JoinPath appends an absolute name, so "/libx.so" is looked up inside each of them too), then
    refuses a path that leaves the folder it was found in ("backend library name '...' escapes
    backend directory", qa/L0_model_config/special_cases/runtime_escape). A name that is neither
    model.py nor a shared library is never found there ("unable to find backend library",
    special_cases/invalid_runtime) unless the model ships such a file itself.
    """
    config = folder.config
    if config is None or not config.runtime:
        return
    runtime = config.runtime
    inside = posixpath.normpath(runtime.lstrip("/"))
    if inside == ".." or inside.startswith("../"):
        folder.report(
            "TRITON-S014",
            f"runtime '{runtime}' escapes the folder Triton looks it up in (the version folder, "
            "the model folder or the backend's folder); Triton refuses to load the model",
            "name the backend library by its file name (e.g. libtriton_mybackend.so) and put it "
            "in the model folder or the backend's folder",
            path="runtime",
        )
        return
    if runtime == _PYTHON_RUNTIME or _LIBRARY.search(runtime):
        return
    shipped = [folder.path / inside] + [folder.path / v / inside for v in folder.versions.values()]
    if any(exists(path) for path in shipped):
        return
    folder.report(
        "TRITON-S014",
        f"runtime '{runtime}' is neither 'model.py' (a python-based backend) nor a shared "
        "library file name, and the model folder does not hold it: Triton cannot find a "
        "backend library by that name",
        "set runtime to the backend library file (libtriton_<backend>.so), to model.py for a "
        "python-based backend, or remove it to use the backend's default",
        path="runtime",
    )


def check_parameters(folder: ModelFolder) -> None:
    """``${name}`` left in a parameters value: a template that was never filled.

    Triton passes parameters to the backend verbatim (it expands nothing), so the consumer gets
    the placeholder itself. Checked on the real tritonserver 2.51: a python model whose
    initialize() reads such a value fails to load, one that never reads it loads. So the finding
    is an error only where the model is known to read it as a value: a python model.py that
    names the key and does not itself test for "${". Elsewhere it is a warning: the tensorrtllm
    backend's templates leave their optional parameters unfilled on purpose
    (tensorrtllm_backend docs/model_config.md: optional parameters are not required).
    """
    config = folder.config
    if config is None:
        return
    _tensorrt_parameters(folder)
    filled = [
        (key, match.group())
        for key, value in sorted(config.parameters.items())
        for match in [_PLACEHOLDER.search(value.string_value)]
        if match is not None
    ]
    if not filled:
        return
    source = python_source(folder) if folder.backend == "python" else ""
    for key, placeholder in filled:
        read = _names(source, key) and "${" not in source
        folder.report(
            "TRITON-S015",
            f"parameters['{key}'] still holds the template placeholder '{placeholder}'; "
            "Triton passes it to the backend as is"
            + (" and the model reads it, so the load or every request fails" if read else ""),
            f"fill the template (replace '{placeholder}' with the real value), or drop the "
            "parameter",
            path=f'parameters["{key}"]',
            severity="error" if read else "warning",
        )


# tensorrt_backend src/model_state.cc: the only values of this parameter it accepts; any other
# fails the load (Triton's qa L0_model_config/custom_parameters/tensorrt/invalid). Releases from
# before the parameter existed ignore it.
_TRT_ALLOCATION = "execution_context_allocation_strategy"
_TRT_ALLOCATION_VALUES = ("STATIC", "ON_PROFILE_CHANGE")


def _tensorrt_parameters(folder: ModelFolder) -> None:
    config = folder.config
    assert config is not None
    if folder.backend != "tensorrt" or _TRT_ALLOCATION not in config.parameters:
        return
    value = config.parameters[_TRT_ALLOCATION].string_value
    if value not in _TRT_ALLOCATION_VALUES:
        folder.report(
            "TRITON-S018",
            f"parameters['{_TRT_ALLOCATION}'] is '{value}'; the TensorRT backend accepts "
            f"{' or '.join(_TRT_ALLOCATION_VALUES)} and refuses to load the model otherwise",
            f"set it to {' or '.join(repr(v) for v in _TRT_ALLOCATION_VALUES)}",
            path=f'parameters["{_TRT_ALLOCATION}"]',
        )


def python_source(folder: ModelFolder) -> str:
    """The text of the python model's model.py ("" if there is none or it cannot be read)."""
    path = model_py(folder)
    if path is None:
        return ""
    try:
        return decode(path, read_source(path))
    except UnreadableFile:
        return ""


def _names(source: str, key: str) -> bool:
    return f'"{key}"' in source or f"'{key}'" in source
