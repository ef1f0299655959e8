"""Files the project file points at: model sources, extra model files, environments, datasets.

Paths are relative to the project file. These checks only look (exists, is a file, has the right
name); reading and converting the files is the builders' job.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePosixPath

from tritonops.errors import SpecIssue
from tritonops.spec.experiments import ExperimentSpec
from tritonops.spec.issues import Locator
from tritonops.spec.models import ModelSpec
from tritonops.spec.onnx_build import check_onnx_source, parse_factory
from tritonops.spec.yamlmarks import Loc

EXECUTION_ENV_PARAMETER = "EXECUTION_ENV_PATH"


def resolve(root: Path, relative: str) -> Path:
    """A path from the project file, made absolute against the project's folder.

    Lexical only (no symlinks followed), so any text the user wrote gives a path without error.
    """
    path = Path(relative)
    # without a home directory to expand ``~`` against, the text stays as written
    with contextlib.suppress(RuntimeError):
        path = path.expanduser()
    return Path(os.path.normpath(root / path))


def _is_file(path: Path) -> bool:
    # a name with a NUL byte or over the OS's length limit is simply not there
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    return _is_file(path) or _is_dir(path)


def model_filename(spec: ModelSpec) -> str:
    """The file Triton opens in each version folder for this model."""
    if spec.default_model_filename:
        return spec.default_model_filename
    return {"onnx": "model.onnx", "python": "model.py"}.get(spec.kind, "")


def check_model_sources(spec: ModelSpec, loc: Loc, root: Path, at: Locator) -> list[SpecIssue]:
    issues = _check_source(spec, loc, root, at)
    for key, relative in spec.files.items():
        here = (*loc, "files", key)
        inside = PurePosixPath(key)
        if inside.is_absolute() or ".." in inside.parts or not inside.parts:
            issues.append(
                at.issue(
                    here,
                    f"{key!r} must be a relative path inside the model folder",
                    "write a path such as labels.txt or warmup/input0",
                    key=True,
                )
            )
        elif inside.as_posix() == "config.pbtxt":
            issues.append(
                at.issue(
                    here,
                    "config.pbtxt is rendered from this model's settings",
                    "set the fields here instead of shipping a config file",
                    key=True,
                )
            )
        elif inside.parts[0].isdigit():
            issues.append(
                at.issue(
                    here,
                    f"{key!r} would land in version folder {inside.parts[0]}",
                    "put version files in the model source; 'files' is for the model folder",
                    key=True,
                )
            )
        if not _exists(resolve(root, relative)):
            issues.append(_missing(here, relative, root, at))
    if spec.execution_env is not None:
        here = (*loc, "execution_env")
        if spec.kind != "python":
            issues.append(at.issue(here, "execution_env is for python models only", "remove it"))
        if not _is_file(resolve(root, spec.execution_env)):
            issues.append(_missing(here, spec.execution_env, root, at))
        if EXECUTION_ENV_PARAMETER in spec.parameters:
            issues.append(
                at.issue(
                    (*loc, "parameters", EXECUTION_ENV_PARAMETER),
                    f"{EXECUTION_ENV_PARAMETER} is set both here and by execution_env",
                    "keep execution_env and remove this parameter",
                )
            )
    return issues


def _check_source(spec: ModelSpec, loc: Loc, root: Path, at: Locator) -> list[SpecIssue]:
    here = (*loc, "source")
    if spec.onnx is not None and spec.kind != "onnx":
        return [
            at.issue(
                (*loc, "onnx"),
                f"onnx options are for onnx models, not {spec.kind}",
                "remove onnx: or set kind: onnx",
            )
        ]
    if spec.kind in ("tensorrt_llm", "vllm"):
        return []  # an engine folder may be built later; vLLM loads its checkpoint itself
    if spec.source is None:
        expected = "a .onnx file" if spec.kind == "onnx" else "a model.py file or its folder"
        return [at.issue(here, f"a {spec.kind} model needs a source", f"set source: to {expected}")]
    path = resolve(root, spec.source)
    filename = model_filename(spec)
    if spec.kind == "onnx":
        # a .onnx or scikit-learn file, or a pkg.module:factory (see spec.onnx_build)
        problem = check_onnx_source(spec.source, root)
        if problem is not None:
            return [at.issue(here, *problem)]
        if parse_factory(spec.source) is None and not _is_file(path):
            return [_missing(here, spec.source, root, at)]
        return []
    if not _exists(path):
        return [_missing(here, spec.source, root, at)]
    if _is_dir(path):
        if not _is_file(path / filename):
            return [
                at.issue(
                    here,
                    f"folder {spec.source!r} has no {filename}",
                    f"add {filename} to it or point source at the model file",
                )
            ]
    elif path.name != filename:
        return [
            at.issue(
                here,
                f"a python model's file must be named {filename}, got {path.name!r}",
                f"rename it to {filename} or set default_model_filename: {path.name}",
            )
        ]
    return []


def check_experiment_files(
    spec: ExperimentSpec, loc: Loc, root: Path, at: Locator
) -> list[SpecIssue]:
    if spec.dataset is None:
        return []
    here = (*loc, "dataset")
    if not spec.dataset.endswith((".npz", ".jsonl")):
        return [at.issue(here, f"{spec.dataset!r} is neither .npz nor .jsonl", "convert it")]
    if not _is_file(resolve(root, spec.dataset)):
        return [_missing(here, spec.dataset, root, at)]
    return []


def check_templates(relative: str, root: Path, at: Locator) -> list[SpecIssue]:
    if _is_dir(resolve(root, relative)):
        return []
    return [
        at.issue(
            ("templates",),
            f"templates folder {relative!r} does not exist (looked in {root})",
            "create it or remove the templates key",
        )
    ]


def _missing(loc: Loc, relative: str, root: Path, at: Locator) -> SpecIssue:
    return at.issue(
        loc,
        f"{relative!r} does not exist (paths are relative to the project file, in {root})",
        "fix the path or create the file",
    )
