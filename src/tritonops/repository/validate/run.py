"""Validate a whole repository in one pass: list it once, check each model, then the ensembles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tritonops.errors import RepositoryError
from tritonops.repository.diagnostics import Diagnostic
from tritonops.repository.validate.backends import check_backend_io
from tritonops.repository.validate.batching import check_batching
from tritonops.repository.validate.ensemble import (
    check_decoupled_merge,
    check_ensembles,
    check_failing_steps,
)
from tritonops.repository.validate.instances import check_instances
from tritonops.repository.validate.layout import (
    check_config_presence,
    check_labels,
    check_model_files,
    check_name,
)
from tritonops.repository.validate.model import ModelFolder, load_folder
from tritonops.repository.validate.newest_schema import Templates
from tritonops.repository.validate.onnx_io import check_onnx
from tritonops.repository.validate.openvino_io import check_openvino
from tritonops.repository.validate.python_model import check_python_model
from tritonops.repository.validate.release_schema import (
    NEWEST_RELEASE,
    check_release,
    release_key,
    schema_label,
)
from tritonops.repository.validate.report import ValidationReport, sort_key
from tritonops.repository.validate.safe_read import UnreadableFile, list_dir
from tritonops.repository.validate.schema import check_cache, check_identity, check_model_metrics
from tritonops.repository.validate.sequence import check_sequence
from tritonops.repository.validate.tensors import check_tensors
from tritonops.repository.validate.trtllm_model import check_trtllm
from tritonops.repository.validate.values import check_parameters, check_runtime, check_text
from tritonops.repository.validate.versions import scan_versions, select_versions
from tritonops.repository.validate.vllm_model import check_vllm
from tritonops.repository.validate.warmup import check_warmup

# Order matters only where a check reads what an earlier one filled in (versions, selection).
_MODEL_CHECKS = (
    check_config_presence,
    check_name,
    check_identity,
    select_versions,  # before any check that reads model.py (it picks the served version)
    check_backend_io,
    check_cache,
    check_model_metrics,
    check_tensors,
    check_batching,
    check_instances,
    check_sequence,
    check_warmup,
    check_model_files,
    check_labels,
    check_python_model,
    check_onnx,
    check_openvino,
    check_vllm,
    check_trtllm,
    check_text,
    check_runtime,
    check_parameters,
)


def validate_repository(
    root: Path | str, *, triton_version: str | None = None, auto_complete: bool = True
) -> ValidationReport:
    """Every problem of the repository at ``root``; raises RepositoryError if it cannot be read.

    ``triton_version`` (``YY.MM``, default: the newest release known) is the release the
    repository must load in: a config field newer than it is an error naming the release that
    added it. ``auto_complete=False`` validates for a server started with
    --disable-auto-complete-config (--strict-model-config): configs are taken as written.
    """
    root = Path(root)
    release = triton_version or NEWEST_RELEASE
    try:
        release_key(release)
    except ValueError as exc:
        raise RepositoryError(f"--triton-version: {exc}") from exc
    try:
        entries = sorted(list_dir(root))
    except UnreadableFile as exc:
        raise RepositoryError(
            f"cannot read model repository '{root}': {exc.reason}; {exc.hint}"
        ) from exc
    sink: list[Diagnostic] = []
    folders: list[ModelFolder] = []
    templates = Templates()
    for name, is_dir in entries:
        if not is_dir:
            continue  # Triton ignores files at the repository root
        if name.startswith("."):
            sink.append(_hidden(name))
            continue
        folder = _load(root, name, sink, templates)
        if folder is not None:
            folders.append(folder)
    for folder in folders:
        folder.cache["auto_complete"] = auto_complete
        _guarded(folder, scan_versions)
        for check in _MODEL_CHECKS:
            _guarded(folder, check)
        _guarded(folder, lambda f: check_release(f, release))
    check_ensembles(folders)
    check_decoupled_merge(folders)
    check_failing_steps(folders, sink)
    return ValidationReport(
        models=len(folders),
        diagnostics=sorted(sink, key=sort_key),
        root=root,
        model_names=tuple(f.name for f in folders),
        schema=schema_label(release),
    )


def _load(
    root: Path, name: str, sink: list[Diagnostic], templates: Templates
) -> ModelFolder | None:
    try:
        return load_folder(root, name, sink, templates)
    except OSError as exc:
        reason, hint = (
            (exc.reason, exc.hint)
            if isinstance(exc, UnreadableFile)
            else (exc.strerror or str(exc), "fix the folder's permissions")
        )
        sink.append(
            Diagnostic(
                file=name,
                line=None,
                code="TRITON-L013",
                severity="error",
                model=name,
                message=f"model folder '{name}' cannot be read: {reason}",
                hint=hint,
            )
        )
        return None


def _guarded(folder: ModelFolder, check: Callable[[ModelFolder], None]) -> None:
    """Run one check; a file or folder the OS refuses mid-way becomes a diagnostic, not a crash.

    Readers go through safe_read and report what they cannot read themselves; this net catches a
    refusal anywhere else (a stat on a folder without search permission, a path swapped while the
    validator runs) so one unreadable corner never hides the rest of the report.
    """
    try:
        check(folder)
    except OSError as exc:
        where = exc.filename if isinstance(exc.filename, str) else folder.name
        folder.report(
            "TRITON-L013",
            f"'{where}' cannot be read while checking '{folder.name}': {exc.strerror or exc}",
            "make the model folder and everything in it readable",
            file=folder.name,
        )


def _hidden(name: str) -> Diagnostic:
    return Diagnostic(
        file=name,
        line=None,
        code="TRITON-L012",
        severity="warning",
        model=name,
        message=f"hidden folder '{name}' at the repository root is not validated, but Triton "
        "treats every subfolder as a model and will try to load it",
        hint=f"move '{name}' out of the model repository",
    )
