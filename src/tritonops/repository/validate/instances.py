"""Instance groups. KIND_GPU is valid config even where no GPU is present, so it is not flagged."""

from __future__ import annotations

from tritonclient.grpc import model_config_pb2 as pb

from tritonops.repository.validate.model import ModelFolder

_NO_GPU_KINDS = (pb.ModelInstanceGroup.KIND_CPU, pb.ModelInstanceGroup.KIND_MODEL)


def check_instances(folder: ModelFolder) -> None:
    config = folder.config
    if config is None:
        return
    scope: dict[str, set[bool]] = {}
    for i, group in enumerate(config.instance_group):
        where = f"instance_group[{i}]"
        kind = pb.ModelInstanceGroup.Kind.Name(group.kind)
        if group.kind in _NO_GPU_KINDS and group.gpus:
            folder.report(
                "TRITON-I001",
                f"instance group #{i} is {kind} but lists gpus {list(group.gpus)}",
                "drop `gpus`, or use KIND_GPU to place instances on those GPUs",
                path=f"{where}.gpus",
            )
        if group.profile and folder.backend != "tensorrt":
            folder.report(
                "TRITON-I002",
                f"instance group #{i} sets profile, which only TensorRT models use",
                "remove `profile`",
                path=f"{where}.profile",
            )
        bad = [p for p in group.profile if not p.isdigit()]
        if bad and folder.backend == "tensorrt":
            folder.report(
                "TRITON-I002",
                f"instance group #{i} profile {bad} is not a non-negative integer",
                'list optimization profile indices such as "0"',
                path=f"{where}.profile",
            )
        if group.count < 0 or any(g < 0 for g in group.gpus):
            folder.report(
                "TRITON-I003",
                f"instance group #{i} has a negative count or gpu id",
                "use count >= 1 (0 means the default) and gpu ids >= 0",
                path=f"{where}.count" if group.count < 0 else f"{where}.gpus",
            )
        for resource in group.rate_limiter.resources:
            scope.setdefault(resource.name, set()).add(getattr(resource, "global"))
    for name, kinds in sorted(scope.items()):
        if len(kinds) > 1:
            folder.report(
                "TRITON-I004",
                f"rate limiter resource '{name}' is both global and per-device",
                f"mark every use of '{name}' global, or none",
                path="instance_group",
            )
