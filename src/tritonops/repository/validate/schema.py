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
        if not folder.config_present:
            check_suffix_backend(folder)  # no config.pbtxt: the name alone picks the backend
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
    elif not platform and not folder.backend:
        # core: no known model file and no '.<backend>' suffix in the model name ("Could not
        # determine backend for model ... Expected model name of the form 'model.<backend_name>'")
        where = (
            "its first version folder holds no model file auto-complete recognises"
            if folder.versions
            else "it has no version folder to find a model file in"
        )
        folder.report(
            "TRITON-S005",
            f"'{folder.name}' sets neither backend nor platform, {where}, and its name has no "
            "'.<backend>' suffix: Triton cannot determine its backend",
            'set `backend` (e.g. "python", "onnxruntime") in the config',
            path="name",
        )
    elif not platform and not config.default_model_filename:
        check_suffix_backend(folder)


def check_suffix_backend(folder: ModelFolder) -> None:
    """A backend read from the folder name's suffix must be a backend Triton has.

    core src/model_config_utils.cc (AutoCompleteBackendFields): with no backend, platform or
    default_model_filename and no model file it recognises, Triton takes the text after the first
    '.' of the model name as the backend, then looks for ``libtriton_<backend>.so``; an unknown
    name fails the load ("unable to find backend library for backend"). A custom backend is named
    in config.pbtxt instead, where a reader sees it.
    """
    backend = folder.backend
    _, dot, suffix = folder.name.partition(".")
    if not dot or backend != suffix or backend in _KNOWN_BACKENDS or backend in _SUFFIX_EXTRA:
        return
    folder.report(
        "TRITON-S019",
        f"'{folder.name}' names no backend, platform or model file, so Triton takes its backend "
        f"from the name's suffix: '{backend}', which is no backend Triton ships; the load fails "
        "with 'unable to find backend library'",
        f'set `backend: "..."` in {folder.config_file} (a custom backend is named there), or '
        "rename the folder without the '.' suffix",
        path="name" if folder.config is not None and folder.text else "",
        file=None if folder.config_present else folder.config_file,
    )


# other backends the triton-inference-server organisation publishes (their repositories' names)
_SUFFIX_EXTRA = ("fastertransformer", "armnn_tflite", "paddle", "hugectr", "tensorflow2")


def check_model_metrics(folder: ModelFolder) -> None:
    """model_metrics (24.11+): each metric_control is complete; its family is one Triton tunes.

    core src/model_config_utils.cc (ValidateModelMetrics) fails the load when a metric_control
    lacks metric_identifier, a non-empty family, histogram_options or a bucket;
    src/metric_model_reporter.h (metric_map_) lists the families a model may tune, others only
    draw a warning (src/metric_model_reporter.cc).
    """
    config = folder.config
    if config is None or not config.HasField("model_metrics"):
        return
    for i, control in enumerate(config.model_metrics.metric_control):
        where = f"model_metrics.metric_control[{i}]"
        problem = ""
        if not control.HasField("metric_identifier"):
            problem, fix = "has no metric_identifier", 'add `metric_identifier { family: "..." }`'
        elif not control.metric_identifier.family:
            problem, fix = "has an empty metric_identifier.family", "name the metric family"
        elif not control.HasField("histogram_options"):
            problem, fix = "has no histogram_options", "add `histogram_options { buckets: [...] }`"
        elif not control.histogram_options.buckets:
            problem, fix = "has histogram_options without buckets", "list at least one bucket"
        if problem:
            folder.report(
                "TRITON-S020",
                f"{where} of '{folder.name}' {problem}; Triton refuses the config",
                fix,
                path=where,
            )
            continue
        family = control.metric_identifier.family
        if family not in _TUNABLE_FAMILIES:
            folder.report(
                "TRITON-S021",
                f"{where} of '{folder.name}' names metric family '{family}', which a model "
                "cannot tune; Triton ignores it with a warning",
                f"use one of: {', '.join(_TUNABLE_FAMILIES)}",
                path=where,
            )


_TUNABLE_FAMILIES = ("nv_inference_first_response_histogram_ms",)


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
