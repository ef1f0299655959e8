"""One model folder as the checks see it: its listing, its parsed config, and a diagnostic sink.

Each folder is listed once and its config.pbtxt parsed once; every check reads this object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tritonops.errors import ConfigParseError
from tritonops.model_config import parse_text
from tritonops.repository.diagnostics import Diagnostic, Severity
from tritonops.repository.locate import Locator
from tritonops.repository.validate.codes import CODES
from tritonops.repository.validate.safe_read import UnreadableFile, list_dir, read_text

CONFIG = "config.pbtxt"

# Platform -> the backend Triton fills in for it (auto-complete, §6 of the reference).
PLATFORM_BACKENDS = {
    "tensorrt_plan": "tensorrt",
    "tensorflow_graphdef": "tensorflow",
    "tensorflow_savedmodel": "tensorflow",
    "onnxruntime_onnx": "onnxruntime",
    "pytorch_libtorch": "pytorch",
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
    _locator: Locator | None = None

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
        config = self.config
        if config is not None:
            if config.backend:
                return str(config.backend)
            if config.platform:
                return PLATFORM_BACKENDS.get(config.platform, "")
        return detect_backend(self)

    def rel(self, *parts: str) -> str:
        return "/".join((self.name, *parts))

    def line(self, path: str) -> int | None:
        if not self.text:
            return None
        if self._locator is None:
            self._locator = Locator(self.text)
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


# Model files auto-complete recognises in the first version folder, in Triton's order.
_AUTO_FILES = (
    ("model.savedmodel", "tensorflow"),
    ("model.graphdef", "tensorflow"),
    ("model.plan", "tensorrt"),
    ("model.onnx", "onnxruntime"),
    ("model.xml", "openvino"),
    ("model.pt", "pytorch"),
    ("model.py", "python"),
)


def detect_backend(folder: ModelFolder) -> str:
    """The backend Triton's auto-complete infers from the first version folder, or ""."""
    if not folder.versions:
        return ""
    first = folder.path / folder.versions[min(folder.versions)]
    try:
        names = set(os.listdir(first))
    except OSError:
        return ""
    return next((backend for file, backend in _AUTO_FILES if file in names), "")


def load_folder(root: Path, name: str, sink: list[Diagnostic]) -> ModelFolder:
    """List ``root/name`` and parse its config.pbtxt, reporting what cannot be read."""
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
        folder.config = parse_text(folder.text, folder.config_file)
    except ConfigParseError as exc:
        folder.report(
            "TRITON-S001",
            f"{folder.config_file} does not parse: {exc.reason}"
            + (f" (column {exc.column})" if exc.column is not None else ""),
            "fix the field name, enum value or syntax at that position "
            "(the schema is Triton's model_config.proto)",
            line=exc.line,
        )
    return folder
