"""model_warmup samples against the declared inputs; a failing sample fails the whole load."""

from __future__ import annotations

import math
from typing import Any

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder
from tritonops.repository.validate.safe_read import regular_file

# Bytes per element; TYPE_STRING has no fixed size and is not size-checked.
_SIZES = {
    pb.TYPE_BOOL: 1,
    pb.TYPE_UINT8: 1,
    pb.TYPE_INT8: 1,
    pb.TYPE_UINT16: 2,
    pb.TYPE_INT16: 2,
    pb.TYPE_FP16: 2,
    pb.TYPE_BF16: 2,
    pb.TYPE_UINT32: 4,
    pb.TYPE_INT32: 4,
    pb.TYPE_FP32: 4,
    pb.TYPE_UINT64: 8,
    pb.TYPE_INT64: 8,
    pb.TYPE_FP64: 8,
}


def check_warmup(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or folder.is_ensemble:
        return  # warmup on an ensemble is an ensemble error
    declared = {t.name: t for t in config.input}
    mbs = config.max_batch_size
    for s, sample in enumerate(config.model_warmup):
        where = f"model_warmup[{s}]"
        label = f"warmup sample '{sample.name}'" if sample.name else f"warmup sample #{s}"
        if sample.batch_size == 0:
            continue  # Triton skips these
        if mbs > 0 and sample.batch_size > mbs:
            folder.report(
                "TRITON-W006",
                f"{label} has batch_size {sample.batch_size} > max_batch_size {mbs}",
                f"use batch_size <= {mbs}",
                path=f"{where}.batch_size",
            )
        elif mbs == 0 and sample.batch_size > 1:
            folder.report(
                "TRITON-W006",
                f"{label} has batch_size {sample.batch_size} on a non-batching model",
                "use batch_size 1",
                path=f"{where}.batch_size",
                severity="warning",
            )
        for name, data in sorted(sample.inputs.items()):
            _input(folder, f'{where}.inputs["{name}"]', label, name, data, declared)
        if declared:
            missing = [n for n, t in declared.items() if not t.optional and n not in sample.inputs]
            if missing:
                folder.report(
                    "TRITON-W007",
                    f"{label} does not give required input(s) {', '.join(missing)}",
                    "add an `inputs` entry for every non-optional model input",
                    path=where,
                )


def _input(
    folder: ModelFolder, where: str, label: str, name: str, data: Any, declared: dict[str, Any]
) -> None:
    target = declared.get(name)
    if declared and target is None:
        folder.report(
            "TRITON-W001",
            f"{label} gives input '{name}', which the model does not declare",
            f"use one of the inputs: {', '.join(declared)}",
            path=where,
        )
    if target is not None and data.data_type != target.data_type:
        folder.report(
            "TRITON-W002",
            f"{label} input '{name}' is {pb.DataType.Name(data.data_type)} but the model "
            f"input is {pb.DataType.Name(target.data_type)}",
            f"set data_type: {pb.DataType.Name(target.data_type)}",
            path=f"{where}.data_type",
        )
    dims = list(data.dims)
    if any(d < 1 for d in dims):
        folder.report(
            "TRITON-W003",
            f"{label} input '{name}' has variable dims {dims}; warmup needs concrete sizes",
            "replace every -1 with the size to warm up with",
            path=f"{where}.dims",
        )
    elif target is not None and not _fits(dims, list(target.dims)):
        folder.report(
            "TRITON-W003",
            f"{label} input '{name}' has dims {dims}, which do not fit the model input's "
            f"dims {list(target.dims)}",
            "give dims with the same rank, equal wherever the model's dims are fixed",
            path=f"{where}.dims",
        )
    choice = data.WhichOneof("input_data_type")
    if choice is None:
        folder.report(
            "TRITON-W004",
            f"{label} input '{name}' has no data source",
            'add one of `zero_data: true`, `random_data: true`, `input_data_file: "..."`',
            path=where,
        )
    elif choice == "input_data_file":
        _data_file(folder, where, label, name, data, dims)


def _fits(dims: list[int], declared: list[int]) -> bool:
    return len(dims) == len(declared) and all(
        d == -1 or d == x for x, d in zip(dims, declared, strict=True)
    )


def _data_file(
    folder: ModelFolder, where: str, label: str, name: str, data: Any, dims: list[int]
) -> None:
    # core src/backend_model_instance.cc reads JoinPath({model dir, "warmup", input_data_file}),
    # and JoinPath (src/filesystem/api.cc) appends an absolute segment instead of replacing the
    # path: "/data/x.bin" is read from <model>/warmup/data/x.bin, never from /data/x.bin.
    file = data.input_data_file
    inside = file.lstrip("/")
    rel = folder.rel("warmup", inside)
    info = regular_file(folder.path / "warmup" / inside)
    if info is None:
        absolute = file.startswith("/")
        folder.report(
            "TRITON-W005",
            f"{label} input '{name}' reads '{rel}', which is not a readable file"
            + (
                f" (Triton reads the absolute path '{file}' relative to the model's warmup/ folder)"
                if absolute
                else ""
            ),
            f"put the raw tensor bytes in '{rel}'"
            + (f' and write `input_data_file: "{inside}"`' if absolute else "")
            + " (files live under the model's warmup/ folder)",
            path=f"{where}.input_data_file",
        )
        return
    size = _SIZES.get(data.data_type)
    if size is None or any(d < 1 for d in dims):
        return
    need = math.prod(dims) * size
    have = info.st_size
    if have < need:
        folder.report(
            "TRITON-W005",
            f"{label} input '{name}' needs {need} bytes from '{rel}' but the file has {have}",
            f"write {need} bytes ({'x'.join(map(str, dims)) or 'scalar'} x {size}-byte elements)",
            path=f"{where}.input_data_file",
        )
