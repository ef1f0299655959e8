"""Layout of one model folder: config presence and name, model files, label files."""

from __future__ import annotations

from pathlib import Path

from tritonops.repository.validate.model import CONFIG, ModelFolder, detect_backend
from tritonops.repository.validate.python_model import defines_auto_complete, tensor_names
from tritonops.repository.validate.safe_read import (
    UnreadableFile,
    exists,
    list_dir,
    regular_file,
)


def check_config_presence(folder: ModelFolder) -> None:
    """No config.pbtxt: fine only when auto-complete can build one from the model file."""
    if folder.config_present:
        return
    if CONFIG in folder.dirs:
        # Checked on tritonserver 2.51: reading a directory as the config throws
        # std::length_error in the model repository poll and terminates the server.
        folder.report(
            "TRITON-L016",
            f"'{folder.config_file}' is a directory, not a file; tritonserver crashes reading it",
            f"replace the folder '{folder.config_file}/' with the config.pbtxt file",
            file=folder.config_file,
        )
        return
    lookalikes = [f for f in folder.files if _looks_like_config(f)]
    if lookalikes:
        folder.report(
            "TRITON-L010",
            f"'{folder.rel(lookalikes[0])}' is not read by Triton (it only reads "
            f"'{CONFIG}'); the model would load with no inputs or outputs",
            f"rename '{lookalikes[0]}' to '{CONFIG}'",
            file=folder.rel(lookalikes[0]),
        )
        return
    if "configs" in folder.dirs and _has_pbtxt(folder.path / "configs"):
        folder.report(
            "TRITON-L010",
            f"'{folder.name}' has configs/*.pbtxt but no {CONFIG}; only a server started with "
            "--model-config-name uses them",
            f"add '{folder.rel(CONFIG)}' or start tritonserver with --model-config-name",
            file=folder.rel("configs"),
            severity="warning",
        )
        return
    backend = detect_backend(folder)
    if backend == "python":
        if _defines_auto_complete(folder):
            return
        read, emitted = tensor_names(_first_version(folder) / "model.py")
        if read or emitted:
            used = ", ".join(f"'{n}'" for n in sorted(read | emitted))
            folder.report(
                "TRITON-L014",
                f"'{folder.name}' has no {CONFIG} and model.py has no auto_complete_config, so "
                f"the model loads with no inputs or outputs, yet model.py uses {used}: every "
                "request fails",
                f"add '{folder.rel(CONFIG)}' declaring {used}, or implement auto_complete_config",
                file=folder.rel(CONFIG),
            )
        else:
            folder.report(
                "TRITON-L009",
                f"'{folder.name}' has no {CONFIG}: the python model loads with no inputs or "
                "outputs unless model.py implements auto_complete_config",
                f"add '{folder.rel(CONFIG)}' declaring the inputs and outputs",
                file=folder.rel(CONFIG),
            )
    elif backend:
        folder.report(
            "TRITON-L008",
            f"'{folder.name}' has no {CONFIG}; Triton auto-completes one from the {backend} "
            "model file",
            f"add '{folder.rel(CONFIG)}' to pin inputs, outputs and batching",
            file=folder.rel(CONFIG),
        )
    elif folder.versions:
        folder.report(
            "TRITON-L007",
            f"'{folder.name}' has no {CONFIG} and no model file auto-complete can read "
            f"in '{folder.rel(folder.versions[min(folder.versions)])}/'",
            f"add '{folder.rel(CONFIG)}' naming the backend (or platform), inputs and outputs",
            file=folder.rel(CONFIG),
        )
    else:
        folder.report(
            "TRITON-L007",
            f"'{folder.name}' has no {CONFIG} and no version folder",
            f"add '{folder.rel(CONFIG)}' and a version folder '{folder.rel('1')}/'",
            file=folder.rel(CONFIG),
        )


def _looks_like_config(name: str) -> bool:
    """A misnamed config.pbtxt (not e.g. a tokenizer's config.json, which is legitimately there)."""
    lower = name.lower()
    return lower.startswith(("config.pb", "config.proto")) or lower in ("config.txt", "config")


def check_name(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or not config.name or config.name == folder.name:
        return
    folder.report(
        "TRITON-L006",
        f"config name '{config.name}' differs from the folder name '{folder.name}'; "
        "Triton requires them to be equal",
        f"set `name: \"{folder.name}\"` or rename the folder to '{config.name}'",
        path="name",
    )


def check_model_files(folder: ModelFolder) -> None:
    """The default model file of the backend in every version folder the policy serves."""
    if folder.is_ensemble or (folder.config is None and folder.config_present):
        return
    expected = _expected(folder)
    if not expected:
        return
    for version in folder.selected:
        if not folder.versions[version].isdigit():
            continue  # reported as a misread folder name
        base = folder.path / str(version)
        missing = [name for name in expected if not _present(base, name)]
        if (
            expected == ["model.plan"]
            and folder.config is not None
            and any(_present(base, f) for f in folder.config.cc_model_filenames.values())
        ):
            missing = []
        if folder.backend == "dali" and _present(base, "dali.py"):
            missing = []  # dali_backend README: else it autoserializes the pipeline in dali.py
        if missing:
            config_hint = " or set default_model_filename" if folder.config is not None else ""
            folder.report(
                "TRITON-L005",
                f"'{folder.rel(str(version), missing[0])}' is missing: the {folder.backend} "
                f"backend loads it for version {version}",
                f"put {' and '.join(missing)} in '{folder.rel(str(version))}/'{config_hint}",
                file=folder.rel(str(version), missing[0]),
            )


def _expected(folder: ModelFolder) -> list[str]:
    config = folder.config
    backend = folder.backend
    default = config.default_model_filename if config is not None else ""
    platform = config.platform if config is not None else ""
    if config is not None and config.runtime and backend != "python":
        return []  # a python-based custom backend decides its own files
    if backend == "openvino":
        xml = default or "model.xml"
        return [xml, str(Path(xml).with_suffix(".bin"))]
    if backend == "tensorflow":
        if default:
            return [default]
        if platform == "tensorflow_savedmodel":
            return ["model.savedmodel"]
        return ["model.graphdef"] if platform == "tensorflow_graphdef" else []
    if backend == "pytorch":
        return [default or _pytorch_file(folder)]
    files = {
        "python": "model.py",
        "onnxruntime": "model.onnx",
        "tensorrt": "model.plan",
        "pytorch": "model.pt",
        "dali": "model.dali",
    }
    if backend not in files:
        return []  # custom backends (vllm, tensorrtllm, ...) have their own conventions
    return [default or files[backend]]


def _pytorch_file(folder: ModelFolder) -> str:
    """model.pt (TorchScript, platform pytorch_libtorch) or model.pt2 (AOTInductor, torch_aoti).

    core src/model_config_utils.cc (AutoCompleteBackendFields) and src/constants.h: platform
    torch_aoti loads model.pt2; a config naming backend "pytorch" without a platform gets
    pytorch_libtorch and model.pt; with neither, the first version folder decides (model.pt
    first, then model.pt2). pytorch_backend README.md, "AOT Inductor Support".
    """
    config = folder.config
    platform = config.platform if config is not None else ""
    if platform:
        return "model.pt2" if platform == "torch_aoti" else "model.pt"
    if config is not None and config.backend:
        return "model.pt"
    first = _first_version(folder)
    if not exists(first / "model.pt") and exists(first / "model.pt2"):
        return "model.pt2"
    return "model.pt"


def _present(base: Path, name: str) -> bool:
    # model.onnx may be a file or a folder; other names are only ever checked for existence
    return exists(base / name)


def check_labels(folder: ModelFolder) -> None:
    config = folder.config
    if config is None:
        return
    for i, output in enumerate(config.output):
        label = output.label_filename
        if label and regular_file(folder.path / label) is None:
            folder.report(
                "TRITON-L011",
                f"output '{output.name}' names label file '{folder.rel(label)}', which does not "
                "exist",
                f"put '{label}' in the model folder '{folder.rel()}/' (labels are relative to "
                "it, not to the version folder) or drop label_filename",
                path=f"output[{i}].label_filename",
            )


def _has_pbtxt(path: Path) -> bool:
    try:
        return any(name.endswith(".pbtxt") for name, _ in list_dir(path))
    except UnreadableFile:
        return False


def _first_version(folder: ModelFolder) -> Path:
    """The first version folder, the one auto-complete reads (the model folder if none)."""
    if not folder.versions:
        return folder.path
    return folder.path / folder.versions[min(folder.versions)]


def _defines_auto_complete(folder: ModelFolder) -> bool:
    """Does the first version's model.py define ``auto_complete_config``?"""
    if not folder.versions:
        return False
    return defines_auto_complete(_first_version(folder) / "model.py")
