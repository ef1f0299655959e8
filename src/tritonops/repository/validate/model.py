"""One model folder as the checks see it: its listing, its parsed config, and a diagnostic sink.

Each folder is listed once and its config.pbtxt parsed once; every check reads this object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tritonops.errors import ConfigParseError
from tritonops.repository.diagnostics import Diagnostic, Severity
from tritonops.repository.locate import ConfigLines
from tritonops.repository.validate.codes import CODES
from tritonops.repository.validate.newest_schema import Templates, parse_newest
from tritonops.repository.validate.safe_read import UnreadableFile, list_dir, read_text

CONFIG = "config.pbtxt"

# Platform -> the backend Triton fills in for it (core src/model_config_utils.cc,
# AutoCompleteBackendFields; "libtorch" and "torch_aoti" are constants.h's newer pytorch platforms).
PLATFORM_BACKENDS = {
    "tensorrt_plan": "tensorrt",
    "tensorflow_graphdef": "tensorflow",
    "tensorflow_savedmodel": "tensorflow",
    "onnxruntime_onnx": "onnxruntime",
    "pytorch_libtorch": "pytorch",
    "libtorch": "pytorch",
    "torch_aoti": "pytorch",
}

# default_model_filename -> the backend it implies when the config names neither backend nor
# platform (same function of core).
_FILENAME_BACKENDS = {
    "model.savedmodel": "tensorflow",
    "model.graphdef": "tensorflow",
    "model.plan": "tensorrt",
    "model.onnx": "onnxruntime",
    "model.xml": "openvino",
    "model.pt": "pytorch",
    "model.pt2": "pytorch",
    "model.py": "python",
}


@dataclass
class ModelFolder:
    """A direct subfolder of the repository, with what every check needs to know about it."""

    root: Path
    name: str
    dirs: list[str]
    files: list[str]
    sink: list[Diagnostic]
    config: Any | None = None  # inference.ModelConfig message; None when absent or broken
    config_present: bool = False
    text: str = ""
    versions: dict[int, str] = field(default_factory=dict)  # version -> folder name on disk
    selected: list[int] = field(default_factory=list)  # versions the policy serves
    # results several checks share (a parsed model.py, what auto-complete adds), keyed by name
    cache: dict[str, Any] = field(default_factory=dict)
    _locator: ConfigLines | None = None

    @property
    def path(self) -> Path:
        return self.root / self.name

    @property
    def config_file(self) -> str:
        return f"{self.name}/{CONFIG}"

    @property
    def is_ensemble(self) -> bool:
        config = self.config
        return config is not None and (
            config.platform == "ensemble" or config.HasField("ensemble_scheduling")
        )

    @property
    def backend(self) -> str:
        """The backend Triton ends up with: config, then platform, then the model files."""
        if "backend" not in self.cache:
            self.cache["backend"] = resolve_backend(self)
        backend: str = self.cache["backend"]
        return backend

    def rel(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    def line(self, path: str) -> int | None:
        if not self.text:
            return None
        if self._locator is None:
            self._locator = ConfigLines(self.text)
        return self._locator.line(path)

    def report(
        self,
        code: str,
        message: str,
        hint: str = "",
        *,
        path: str = "",
        file: str | None = None,
        line: int | None = None,
        severity: Severity | None = None,
    ) -> None:
        """Record one diagnostic; ``path`` is a config field path the locator turns into a line."""
        if line is None and path and file is None:
            line = self.line(path)
        self.sink.append(
            Diagnostic(
                file=file if file is not None else self.config_file,
                line=line,
                code=code,
                severity=severity or CODES[code][0],
                model=self.name,
                message=message,
                hint=hint,
            )
        )


# Model files auto-complete recognises in the first version folder, in core's order (a savedmodel
# and onnx model may be folders; the others must be files).
_AUTO_FILES = (
    ("model.savedmodel", "tensorflow", True),
    ("model.graphdef", "tensorflow", False),
    ("model.plan", "tensorrt", False),
    ("model.onnx", "onnxruntime", None),
    ("model.xml", "openvino", None),
    ("model.pt", "pytorch", False),
    ("model.pt2", "pytorch", False),
    ("model.py", "python", None),
)


def resolve_backend(folder: ModelFolder) -> str:
    """The backend core's AutoCompleteBackendFields settles on, or "" when it finds none.

    Order (core src/model_config_utils.cc): an explicit backend; a platform's backend; the backend
    implied by default_model_filename; a known model file in the first version folder (the first
    subfolder in byte order, as core lists them); and when the config names no backend, platform
    or default_model_filename, the text after the first '.' of the model's name
    (``model.identity`` -> backend ``identity``).
    """
    config = folder.config
    backend = str(config.backend) if config is not None else ""
    platform = str(config.platform) if config is not None else ""
    filename = str(config.default_model_filename) if config is not None else ""
    if backend:
        return backend
    if platform:
        return PLATFORM_BACKENDS.get(platform, "")
    if filename:
        return _FILENAME_BACKENDS.get(filename, "")
    return detect_backend(folder)


def detect_backend(folder: ModelFolder) -> str:
    """The backend auto-complete infers with no backend, platform or default_model_filename."""
    if folder.dirs:
        first = folder.path / min(folder.dirs)
        try:
            with os.scandir(first) as it:
                kinds = {e.name: e.is_dir() for e in it}
        except OSError:
            kinds = {}
        for file, backend, is_dir in _AUTO_FILES:
            if file in kinds and (is_dir is None or kinds[file] == is_dir):
                return backend
    _, dot, suffix = folder.name.partition(".")
    return suffix if dot else ""


def load_folder(
    root: Path, name: str, sink: list[Diagnostic], templates: Templates | None = None
) -> ModelFolder:
    """List ``root/name`` and parse its config.pbtxt, reporting what cannot be read.

    ``templates`` is shared by the folders of one repository (configs differing only in their
    name are parsed once).
    """
    dirs: list[str] = []
    files: list[str] = []
    for entry, is_dir in list_dir(root / name):
        (dirs if is_dir else files).append(entry)
    folder = ModelFolder(root, name, sorted(dirs), sorted(files), sink)
    if CONFIG not in files:
        return folder
    folder.config_present = True
    try:
        folder.text = read_text(root / name / CONFIG)
    except UnreadableFile as exc:
        folder.report(
            "TRITON-L013",
            f"{folder.config_file} cannot be read: {exc}",
            exc.hint,
            line=getattr(exc, "line", None),
        )
        return folder
    try:
        # the newest schema: fields a target release lacks are reported by check_release
        folder.config = parse_newest(folder.text, folder.config_file, templates)
    except ConfigParseError as exc:
        reason, _, hint = exc.reason.partition(" — ")  # the did-you-mean, when there is one
        where = folder.config_file
        if exc.line is not None:
            where += f":{exc.line}" + (f":{exc.column}" if exc.column is not None else "")
        folder.report(
            "TRITON-S001",
            f"{where} does not parse: {reason}",
            hint
            or "fix the field name, enum value or syntax at that position "
            "(the schema is Triton's model_config.proto)",
            line=exc.line,
        )
    return folder
