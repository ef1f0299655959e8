"""Identity of a model: platform and backend pairing, ensemble scheduling, cache compatibility."""

from __future__ import annotations

import difflib

from tritonops.repository.validate.model import PLATFORM_BACKENDS, ModelFolder

# Backends whose platform Triton checks (reference §3); other backends accept any platform.
_PAIRED = {
    "tensorflow": ("tensorflow_graphdef", "tensorflow_savedmodel"),
    "tensorrt": ("tensorrt_plan",),
    "onnxruntime": ("onnxruntime_onnx",),
    "pytorch": ("pytorch_libtorch", "libtorch", "torch_aoti"),
}

# Backends a Triton release ships (or commonly installs); a backend named like one of these but not
# equal to it is a typo: Triton answers "unable to find backend library for backend 'b'".
_KNOWN_BACKENDS = (
    "python",
    "onnxruntime",
    "tensorrt",
    "pytorch",
    "tensorflow",
    "openvino",
    "dali",
    "fil",
    "vllm",
    "tensorrtllm",
    "identity",
    "repeat",
    "square",
)


def check_identity(folder: ModelFolder) -> None:
    config = folder.config
    if config is None:
        return
    platform, backend = config.platform, config.backend
    scheduled = config.HasField("ensemble_scheduling")
    if platform == "ensemble" and not scheduled:
        folder.report(
            "TRITON-S002",
            f"'{folder.name}' has platform 'ensemble' but no ensemble_scheduling",
            "add `ensemble_scheduling { step [...] }` or set the model's real backend",
            path="platform",
        )
    if scheduled and platform != "ensemble":
        folder.report(
            "TRITON-S002",
            f"'{folder.name}' has ensemble_scheduling but platform '{platform}'",
            'set `platform: "ensemble"` (and no backend) on an ensemble',
            path="ensemble_scheduling",
        )
    if (platform == "ensemble" or scheduled) and backend:
        folder.report(
            "TRITON-S003",
            f"ensemble '{folder.name}' sets backend '{backend}'; an ensemble must have an "
            "empty backend",
            "remove the `backend` line from the ensemble",
            path="backend",
        )
    if backend in _PAIRED and platform and platform not in _PAIRED[backend]:
        folder.report(
            "TRITON-S004",
            f"platform '{platform}' does not go with backend '{backend}' "
            f"(Triton: unexpected 'platform' and 'backend' pair)",
            f"set platform to {' or '.join(repr(p) for p in _PAIRED[backend])} or remove it",
            path="platform",
        )
    if backend and not scheduled and platform != "ensemble" and not config.runtime:
        _check_backend_name(folder, backend)
    if backend or scheduled:
        return
    if platform and platform != "ensemble" and platform not in PLATFORM_BACKENDS:
        known = ", ".join(sorted([*PLATFORM_BACKENDS, "ensemble"]))
        folder.report(
            "TRITON-S005",
            f"unknown platform '{platform}' and no backend: Triton cannot tell which backend "
            f"serves '{folder.name}'",
            f'use a known platform ({known}) or set `backend` (e.g. "onnxruntime", "python")',
            path="platform",
        )
    elif not platform and folder.versions and not folder.backend:
        # core: no known model file and no '.<backend>' suffix in the model name
        folder.report(
            "TRITON-S005",
            f"'{folder.name}' sets neither backend nor platform, its first version folder holds "
            "no model file auto-complete recognises, and its name has no '.<backend>' suffix",
            'set `backend` (e.g. "python", "onnxruntime") in the config',
            path="name",
        )


def _check_backend_name(folder: ModelFolder, backend: str) -> None:
    """A platform string or a near miss of a known backend cannot be a custom backend's name."""
    if backend in _KNOWN_BACKENDS:
        return
    if backend in PLATFORM_BACKENDS:
        right = PLATFORM_BACKENDS[backend]
        folder.report(
            "TRITON-S008",
            f"backend '{backend}' is a platform name; Triton finds no backend library called "
            f"'{backend}' and the load fails",
            f'set `backend: "{right}"` (or `platform: "{backend}"` without a backend)',
            path="backend",
        )
        return
    # short names are too close to each other to call one a typo of another
    long_enough = [b for b in _KNOWN_BACKENDS if len(b) >= 5] if len(backend) >= 5 else []
    close = difflib.get_close_matches(backend, long_enough, n=1, cutoff=0.85)
    if close:
        folder.report(
            "TRITON-S008",
            f"backend '{backend}' is not a Triton backend (did you mean '{close[0]}'?); "
            "Triton finds no backend library for it and the load fails",
            f'set `backend: "{close[0]}"`',
            path="backend",
        )


def check_cache(folder: ModelFolder) -> None:
    config = folder.config
    if config is None or not config.response_cache.enable:
        return
    if config.model_transaction_policy.decoupled:
        folder.report(
            "TRITON-S006",
            f"'{folder.name}' is decoupled and enables response_cache; Triton does not cache "
            "decoupled models and refuses to load it",
            "remove `response_cache { enable: true }` or the decoupled transaction policy",
            path="response_cache",
        )
