"""The in-flight batching model set for one tensorrt_llm model: five ``ModelPlan``s.

::

    <name>_preprocessing   python: text -> token ids (HF tokenizer copied beside model.py)
    <name>                 tensorrtllm: the engine, referenced by its path on the server
    <name>_postprocessing  python: token ids -> text
    <name>_ensemble        ensemble: text_input -> ... -> text_output
    <name>_bls             python (serving.bls): the same pipeline driven from Python

The engine model keeps the spec's own name, so the builder's artifact (the engine files) lands in
its version folder and the default ``gpt_model_path`` (``/models/<name>/<version>``) is that
folder on a server whose repository is mounted at ``/models``. Every config is built from the
mirror, so each number, flag and data type sits in a typed position; backend ``parameters`` are
written from typed option values, never from placeholders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tritonops.builders.tensorrt_llm import tensors
from tritonops.errors import SpecError
from tritonops.model_config import (
    DynamicBatching,
    EnsembleScheduling,
    EnsembleStep,
    InstanceGroup,
    InstanceKind,
    ModelConfig,
    QueuePolicy,
    TransactionPolicy,
)
from tritonops.spec import ModelPlan, ModelSpec, Project
from tritonops.spec.trtllm_build import TrtLlmBuild, check_trtllm

MODELS_DIR = Path(__file__).parent / "models"
# the executor worker that ships with the tensorrtllm backend in NVIDIA's containers
EXECUTOR_WORKER = "/opt/tritonserver/backends/tensorrtllm/trtllmExecutorWorker"
# what AutoTokenizer may read; copied when the checkpoint has them
TOKENIZER_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
)
# inside the pre/postprocessing version folders (a non-numeric folder beside them would read as
# a stray version folder); model.py resolves it against its own version folder
TOKENIZER_DIR = "tokenizer"
# speculative modes the executor must be told about at run time
_DECODING_MODES = {
    "medusa": "medusa",
    "lookahead_decoding": "lookahead",
    "eagle": "eagle",
    "explicit_draft_tokens": "redrafter",
}


@dataclass(frozen=True)
class ModelNames:
    preprocessing: str
    tensorrt_llm: str
    postprocessing: str
    ensemble: str
    bls: str


def model_names(spec: ModelSpec) -> ModelNames:
    name = spec.name
    return ModelNames(
        preprocessing=f"{name}_preprocessing",
        tensorrt_llm=name,
        postprocessing=f"{name}_postprocessing",
        ensemble=f"{name}_ensemble",
        bls=f"{name}_bls",
    )


def checked_build(project: Project, spec: ModelSpec) -> TrtLlmBuild:
    """The spec's build options once every cross-field rule holds; SpecError with all issues."""
    issues = check_trtllm(spec, project.loc(spec), project.root, project.locator)
    if issues or spec.tensorrt_llm is None:
        raise SpecError(issues)
    return spec.tensorrt_llm


def default_engine_dir(spec: ModelSpec) -> str:
    build = spec.tensorrt_llm
    if build is not None and build.serving.engine_dir is not None:
        return build.serving.engine_dir
    return f"/models/{spec.name}/{max(spec.versions)}"


def engine_dir_for(project: Project, spec: ModelSpec) -> str:
    """Where the engine is on the server: ``serving.engine_dir``, else the engine model's
    version folder under ``/models`` (the repository mounted where NVIDIA's images expect it).
    """
    del project  # the path is the server's, not this machine's: nothing here resolves it
    return default_engine_dir(spec)


def is_decoupled(spec: ModelSpec, build: TrtLlmBuild) -> bool:
    """Streaming needs decoupled responses, so streaming turns decoupled on."""
    return build.serving.streaming or spec.is_decoupled


def notes(spec: ModelSpec, build: TrtLlmBuild) -> list[str]:
    """What the model set does that the user did not write, and what the server needs."""
    said: list[str] = []
    if build.serving.streaming and not spec.is_decoupled:
        said.append(
            f"{spec.name}: streaming is on, so {spec.name} and {spec.name}_ensemble"
            + (f" and {spec.name}_bls" if build.serving.bls else "")
            + " are decoupled (model_transaction_policy.decoupled: true)"
        )
    if build.world_size > 1:
        said.append(
            f"{spec.name}: world size {build.world_size} (tp {build.tp_size} x pp "
            f"{build.pp_size}): start tritonserver under MPI with {build.world_size} ranks "
            "(e.g. launch_triton_server.py --world_size)"
        )
    if build.serving.batching_strategy == "v1":
        said.append(f"{spec.name}: batching_strategy v1 (static batching) is deprecated")
    return said


def trtllm_model_plans(
    project: Project, model_spec: ModelSpec, engine_dir: str | None = None
) -> list[ModelPlan]:
    """The model set for ``model_spec``: preprocessing, engine, postprocessing, ensemble, bls.

    ``engine_dir`` is where the engine will be on the server (default ``serving.engine_dir``,
    else ``/models/<name>/<version>``); it need not exist here.
    """
    build = checked_build(project, model_spec)
    names = model_names(model_spec)
    checkpoint = project.resolve(build.checkpoint)
    tokenizer = {
        f"{TOKENIZER_DIR}/{name}": checkpoint / name
        for name in TOKENIZER_FILES
        if (checkpoint / name).is_file()
    }
    decoupled = is_decoupled(model_spec, build)
    plans = [
        _preprocessing(names, build, tokenizer),
        _engine(model_spec, names, build, engine_dir or engine_dir_for(project, model_spec)),
        _postprocessing(names, build, tokenizer),
        _ensemble(names, build, decoupled),
    ]
    if build.serving.bls:
        plans.append(_bls(names, build, decoupled))
    return plans


def _text(value: bool | int | float | str) -> str:
    # how the backend parses its parameters: lower-case booleans, plain numbers
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cpu(count: int) -> list[InstanceGroup]:
    return [InstanceGroup(kind=InstanceKind.KIND_CPU, count=count)]


def _batcher(build: TrtLlmBuild) -> DynamicBatching:
    serving = build.serving
    return DynamicBatching(
        preferred_batch_size=[build.triton_max_batch_size],
        max_queue_delay_microseconds=serving.max_queue_delay_microseconds,
        default_queue_policy=QueuePolicy(max_queue_size=serving.max_queue_size)
        if serving.max_queue_size
        else None,
    )


def _python_files(model: str) -> dict[str, Path]:
    files = {"model.py": MODELS_DIR / model / "model.py"}
    if model in ("preprocessing", "postprocessing"):
        # AutoTokenizer's fallback where transformers is not installed (word-level tokenizers)
        files["local_tokenizer.py"] = MODELS_DIR / "local_tokenizer.py"
    return files


def _preprocessing(names: ModelNames, build: TrtLlmBuild, tokenizer: dict[str, Path]) -> ModelPlan:
    config = ModelConfig(
        name=names.preprocessing,
        backend="python",
        max_batch_size=build.triton_max_batch_size,
        input=tensors.preprocessing_inputs(),
        output=tensors.preprocessing_outputs(),
        dynamic_batching=_batcher(build),
        instance_group=_cpu(build.serving.preprocessing_instance_count),
        parameters={
            "tokenizer_dir": TOKENIZER_DIR,
            "add_special_tokens": _text(build.serving.add_special_tokens),
        },
    )
    return ModelPlan(
        config=config,
        kind="python",
        version_files={**_python_files("preprocessing"), **tokenizer},
    )


def _postprocessing(names: ModelNames, build: TrtLlmBuild, tokenizer: dict[str, Path]) -> ModelPlan:
    config = ModelConfig(
        name=names.postprocessing,
        backend="python",
        max_batch_size=build.triton_max_batch_size,
        input=tensors.postprocessing_inputs(),
        output=tensors.postprocessing_outputs(),
        dynamic_batching=DynamicBatching(),
        instance_group=_cpu(build.serving.postprocessing_instance_count),
        parameters={
            "tokenizer_dir": TOKENIZER_DIR,
            "skip_special_tokens": _text(build.serving.skip_special_tokens),
        },
    )
    return ModelPlan(
        config=config,
        kind="python",
        version_files={**_python_files("postprocessing"), **tokenizer},
    )


def engine_parameters(spec: ModelSpec, build: TrtLlmBuild, engine_dir: str) -> dict[str, str]:
    """The tensorrtllm backend's parameters, typed values written as text."""
    serving = build.serving
    strategy = "V1" if serving.batching_strategy == "v1" else serving.batching_strategy
    params: dict[str, str] = {
        "gpt_model_type": strategy,
        "gpt_model_path": engine_dir,
        "max_beam_width": _text(build.runtime_beam_width),
        "batch_scheduler_policy": serving.batch_scheduler_policy,
        "kv_cache_free_gpu_mem_fraction": _text(serving.kv_cache_free_gpu_mem_fraction),
        "enable_kv_cache_reuse": _text(serving.enable_kv_cache_reuse),
        "enable_chunked_context": _text(serving.enable_chunked_context),
        "exclude_input_in_output": _text(serving.exclude_input_in_output),
        "FORCE_CPU_ONLY_INPUT_TENSORS": "no",
        "executor_worker_path": EXECUTOR_WORKER,
        # read without a fallback by the backend (guided decoding); empty means off
        "tokenizer_dir": "",
        "guided_decoding_backend": "",
        "xgrammar_tokenizer_info_path": "",
    }
    if serving.max_tokens_in_paged_kv_cache is not None:
        params["max_tokens_in_paged_kv_cache"] = _text(serving.max_tokens_in_paged_kv_cache)
    if serving.gpu_device_ids:
        params["gpu_device_ids"] = ",".join(str(g) for g in serving.gpu_device_ids)
    if build.lora is not None:
        params["lora_cache_max_adapter_size"] = _text(build.lora.max_rank)
    if build.speculative is not None and build.speculative.mode in _DECODING_MODES:
        params["decoding_mode"] = _DECODING_MODES[build.speculative.mode]
    # the project's own parameters win: any backend key not modelled here can be set there
    params.update(spec.parameters)
    return params


def _engine(spec: ModelSpec, names: ModelNames, build: TrtLlmBuild, engine_dir: str) -> ModelPlan:
    config = ModelConfig(
        name=names.tensorrt_llm,
        backend="tensorrtllm",
        max_batch_size=build.triton_max_batch_size,
        input=tensors.engine_inputs(build.lora is not None),
        output=tensors.engine_outputs(),
        dynamic_batching=spec.dynamic_batching or _batcher(build),
        # the backend places the engine on its GPUs itself; Triton's instance stays on the CPU
        instance_group=spec.instance_group or _cpu(1),
        parameters=engine_parameters(spec, build, engine_dir),
        model_transaction_policy=TransactionPolicy(decoupled=is_decoupled(spec, build)),
        version_policy=spec.version_policy,
    )
    return ModelPlan(config=config, kind="tensorrt_llm", versions=tuple(spec.versions))


def _ensemble(names: ModelNames, build: TrtLlmBuild, decoupled: bool) -> ModelPlan:
    lora = build.lora is not None
    pre_in, pre_out = tensors.preprocessing_maps()
    eng_in, eng_out = tensors.engine_maps(lora)
    post_in, post_out = tensors.postprocessing_maps()
    steps = [
        EnsembleStep(model_name=names.preprocessing, input_map=pre_in, output_map=pre_out),
        EnsembleStep(model_name=names.tensorrt_llm, input_map=eng_in, output_map=eng_out),
        EnsembleStep(model_name=names.postprocessing, input_map=post_in, output_map=post_out),
    ]
    config = ModelConfig(
        name=names.ensemble,
        platform="ensemble",
        max_batch_size=build.triton_max_batch_size,
        input=tensors.public_inputs(lora),
        output=tensors.public_outputs(),
        ensemble_scheduling=EnsembleScheduling(step=steps),
        model_transaction_policy=TransactionPolicy(decoupled=True) if decoupled else None,
    )
    return ModelPlan(config=config, kind="ensemble")


def _bls(names: ModelNames, build: TrtLlmBuild, decoupled: bool) -> ModelPlan:
    config = ModelConfig(
        name=names.bls,
        backend="python",
        max_batch_size=build.triton_max_batch_size,
        input=tensors.public_inputs(build.lora is not None),
        output=tensors.public_outputs(),
        instance_group=_cpu(build.serving.bls_instance_count),
        model_transaction_policy=TransactionPolicy(decoupled=decoupled),
        parameters={
            "preprocessing_model_name": names.preprocessing,
            "tensorrt_llm_model_name": names.tensorrt_llm,
            "postprocessing_model_name": names.postprocessing,
            "accumulate_tokens": "false",
            "tensor_map": _bls_tensor_map(build.lora is not None),
        },
    )
    return ModelPlan(config=config, kind="python", version_files=_python_files("bls"))


def _bls_tensor_map(lora: bool) -> str:
    """The ensemble's wiring as JSON, so the BLS model.py follows the very same tables."""
    pre_inputs, pre_outputs = tensors.preprocessing_maps()
    engine_inputs, _ = tensors.engine_maps(lora)
    tables = {
        "preprocessing_inputs": {public: inner for inner, public in pre_inputs.items()},
        "preprocessing_to_engine": {
            out: engine
            for engine, mid in engine_inputs.items()
            for out, produced in pre_outputs.items()
            if produced == mid
        },
        "engine_options": {o.ensemble: o.backend for o in tensors.options(lora)},
        "passed_outputs": [name for name, _, _ in tensors.PASSED_OUTPUTS],
    }
    return json.dumps(tables, sort_keys=True, separators=(",", ":"))
