"""One model plan per option family; each is pinned by ``golden/<family>.pbtxt``.

Together the cases set every field of every mirrored message away from its default at least once
(``test_cases_cover_every_field`` holds them to that).
"""

from __future__ import annotations

from collections.abc import Callable

from tritonops.model_config import (
    Accelerator,
    AllVersions,
    BatchInput,
    BatchOutput,
    Control,
    ControlInput,
    Cuda,
    DataType,
    DynamicBatching,
    EnsembleScheduling,
    EnsembleStep,
    ExecutionAccelerators,
    GraphOptimization,
    InitialState,
    InstanceGroup,
    Latest,
    ModelConfig,
    ModelInput,
    ModelOutput,
    ModelWarmup,
    Optimization,
    QueuePolicy,
    RateLimiter,
    RateLimiterResource,
    Reshape,
    ResponseCache,
    SequenceBatching,
    SequenceState,
    Specific,
    StrategyDirect,
    StrategyOldest,
    TransactionPolicy,
    VersionPolicy,
    WarmupInput,
)
from tritonops.model_config.config import (
    GraphSpec,
    GraphSpecLowerBound,
    GraphSpecShape,
    PinnedMemory,
    SecondaryDevice,
)
from tritonops.spec.plan import ModelPlan
from tritonops.spec.vllm import vllm_config

T = DataType


def _onnx(**fields: object) -> ModelPlan:
    base: dict[str, object] = {"name": "model", "backend": "onnxruntime"}
    return ModelPlan(config=ModelConfig.model_validate(base | fields), kind="onnx")


def io() -> ModelPlan:
    every_type = [t for t in DataType if t is not DataType.TYPE_INVALID]
    inputs = [ModelInput(name=f"IN_{t.api_name}", data_type=t, dims=[-1, 4]) for t in every_type]
    inputs += [
        ModelInput(name="image", data_type=T.TYPE_FP32, format="FORMAT_NCHW", dims=[3, 224, 224]),
        ModelInput(name="scalar", data_type=T.TYPE_INT64, dims=[1], reshape=Reshape(shape=[])),
        ModelInput(
            name="flat", data_type=T.TYPE_FP16, dims=[-1, 8], reshape=Reshape(shape=[-1, 2, 4])
        ),
        ModelInput(name="ragged", data_type=T.TYPE_FP32, dims=[-1], allow_ragged_batch=True),
        ModelInput(name="mask", data_type=T.TYPE_BOOL, dims=[-1], optional=True),
        ModelInput(name="shape", data_type=T.TYPE_INT32, dims=[2], is_shape_tensor=True),
        ModelInput(name="nlf", data_type=T.TYPE_FP16, dims=[4], is_non_linear_format_io=True),
    ]
    outputs = [
        ModelOutput(name="probs", data_type=T.TYPE_FP32, dims=[1000], label_filename="labels.txt"),
        ModelOutput(
            name="flat_out", data_type=T.TYPE_FP32, dims=[8], reshape=Reshape(shape=[2, 4])
        ),
        ModelOutput(name="shape_out", data_type=T.TYPE_INT32, dims=[2], is_shape_tensor=True),
        ModelOutput(name="nlf_out", data_type=T.TYPE_FP16, dims=[4], is_non_linear_format_io=True),
    ]
    batch_input = [
        BatchInput(
            kind="BATCH_ELEMENT_COUNT",
            target_name=["count"],
            data_type=T.TYPE_FP32,
            source_input=["ragged"],
        ),
        BatchInput(kind="BATCH_ITEM_SHAPE", target_name=["shape_of"], data_type=T.TYPE_INT32),
    ]
    batch_output = [
        BatchOutput(target_name=["probs"], source_input=["ragged"]),
        BatchOutput(),
    ]
    return _onnx(
        max_batch_size=16,
        input=inputs,
        output=outputs,
        batch_input=batch_input,
        batch_output=batch_output,
    )


def batching() -> ModelPlan:
    return _onnx(
        max_batch_size=32,
        dynamic_batching=DynamicBatching(
            preferred_batch_size=[8, 16, 32],
            max_queue_delay_microseconds=500,
            preserve_ordering=True,
            priority_levels=3,
            default_priority_level=2,
            default_queue_policy=QueuePolicy(
                timeout_action="DELAY",
                default_timeout_microseconds=100000,
                allow_timeout_override=True,
                max_queue_size=64,
            ),
            priority_queue_policy={1: QueuePolicy(max_queue_size=8), 3: QueuePolicy()},
        ),
    )


def sequence() -> ModelPlan:
    controls = [
        ControlInput(
            name="START",
            control=[Control(kind="CONTROL_SEQUENCE_START", int32_false_true=[0, 1])],
        ),
        ControlInput(
            name="READY",
            control=[Control(kind="CONTROL_SEQUENCE_READY", fp32_false_true=[0.0, 1.0])],
        ),
        ControlInput(
            name="END",
            control=[Control(kind="CONTROL_SEQUENCE_END", bool_false_true=[False, True])],
        ),
        ControlInput(
            name="CORRID",
            control=[Control(kind="CONTROL_SEQUENCE_CORRID", data_type=T.TYPE_UINT64)],
        ),
    ]
    state = SequenceState(
        input_name="state_in",
        output_name="state_out",
        data_type=T.TYPE_FP32,
        dims=[-1, 16],
        initial_state=[
            InitialState(data_type=T.TYPE_FP32, dims=[1, 16], zero_data=True, name="zeros"),
            InitialState(data_type=T.TYPE_FP32, dims=[1, 16], data_file="state.bin", name="file"),
        ],
        use_same_buffer_for_input_output=True,
        use_growable_memory=True,
    )
    return _onnx(
        max_batch_size=8,
        sequence_batching=SequenceBatching(
            direct=StrategyDirect(max_queue_delay_microseconds=100, minimum_slot_utilization=0.3),
            max_sequence_idle_microseconds=5000000,
            control_input=controls,
            state=[state],
            iterative_sequence=True,
        ),
    )


def sequence_oldest() -> ModelPlan:
    return _onnx(
        max_batch_size=8,
        sequence_batching=SequenceBatching(
            oldest=StrategyOldest(
                max_candidate_sequences=4,
                preferred_batch_size=[2, 4],
                max_queue_delay_microseconds=1000,
                preserve_ordering=True,
            ),
        ),
    )


def ensemble() -> ModelPlan:
    steps = [
        EnsembleStep(
            model_name="preprocess",
            input_map={"RAW": "IMAGE"},
            output_map={"PIXELS": "pixels"},
        ),
        EnsembleStep(
            model_name="classifier",
            model_version=2,
            input_map={"input": "pixels"},
            output_map={"probs": "PROBS", "logits": "LOGITS"},
            model_namespace="vision",
        ),
    ]
    config = ModelConfig(
        name="pipeline",
        platform="ensemble",
        max_batch_size=8,
        input=[ModelInput(name="IMAGE", data_type=T.TYPE_STRING, dims=[1])],
        output=[
            ModelOutput(name="PROBS", data_type=T.TYPE_FP32, dims=[1000]),
            ModelOutput(name="LOGITS", data_type=T.TYPE_FP32, dims=[1000]),
        ],
        ensemble_scheduling=EnsembleScheduling(step=steps),
    )
    return ModelPlan(config=config, kind="ensemble")


def instance_groups() -> ModelPlan:
    limiter = RateLimiter(
        resources=[
            RateLimiterResource.model_validate({"name": "R1", "global": True, "count": 4}),
            RateLimiterResource(name="R2", count=2),
        ],
        priority=2,
    )
    groups = [
        InstanceGroup(
            name="gpu_pair",
            kind="KIND_GPU",
            count=2,
            rate_limiter=limiter,
            gpus=[0, 1],
            secondary_devices=[SecondaryDevice(kind="KIND_NVDLA", device_id=1)],
            profile=["0", "1"],
            passive=True,
            host_policy="numa0",
        ),
        InstanceGroup(kind="KIND_CPU", count=4),
        InstanceGroup(kind="KIND_MODEL"),
    ]
    return _onnx(max_batch_size=4, instance_group=groups)


def optimization() -> ModelPlan:
    spec = GraphSpec(
        batch_size=8,
        input={"x": GraphSpecShape(dim=[3, 224, 224])},
        graph_lower_bound=GraphSpecLowerBound(
            batch_size=1, input={"x": GraphSpecShape(dim=[3, 32, 32])}
        ),
    )
    return _onnx(
        max_batch_size=8,
        optimization=Optimization(
            graph=GraphOptimization(level=1),
            priority="PRIORITY_MAX",
            cuda=Cuda(
                graphs=True, busy_wait_events=True, graph_spec=[spec], output_copy_stream=True
            ),
            execution_accelerators=ExecutionAccelerators(
                gpu_execution_accelerator=[
                    Accelerator(
                        name="tensorrt",
                        parameters={
                            "precision_mode": "FP16",
                            "max_workspace_size_bytes": "1073741824",
                        },
                    )
                ],
                cpu_execution_accelerator=[Accelerator(name="openvino")],
            ),
            input_pinned_memory=PinnedMemory(enable=False),
            output_pinned_memory=PinnedMemory(enable=False),
            gather_kernel_buffer_threshold=1024,
            eager_batching=True,
        ),
    )


def warmup() -> ModelPlan:
    samples = [
        ModelWarmup(
            name="zeros",
            batch_size=4,
            inputs={"x": WarmupInput(data_type=T.TYPE_FP32, dims=[3, 224, 224], zero_data=True)},
            count=2,
        ),
        ModelWarmup(
            name="random",
            batch_size=8,
            inputs={"x": WarmupInput(data_type=T.TYPE_FP32, dims=[3, 224, 224], random_data=True)},
        ),
        ModelWarmup(
            name="recorded",
            batch_size=2,
            inputs={
                "x": WarmupInput(data_type=T.TYPE_FP32, dims=[3, 224, 224], input_data_file="x.bin")
            },
        ),
    ]
    return _onnx(max_batch_size=8, model_warmup=samples)


def version_latest() -> ModelPlan:
    return _onnx(version_policy=VersionPolicy(latest=Latest(num_versions=2)))


def version_all() -> ModelPlan:
    return _onnx(version_policy=VersionPolicy(all=AllVersions()))


def version_specific() -> ModelPlan:
    return _onnx(version_policy=VersionPolicy(specific=Specific(versions=[1, 3])))


def parameters() -> ModelPlan:
    return _onnx(
        runtime="libtriton_onnxruntime.so",
        default_model_filename="resnet.onnx",
        cc_model_filenames={"8.0": "a100.plan", "9.0": "h100.plan"},
        metric_tags={"team": "vision", "tier": "gold"},
        parameters={
            "EXECUTION_ENV_PATH": "$$TRITON_MODEL_DIRECTORY/env.tar.gz",
            'quote"and\\slash': "line1\nline2\ttab",
            "unicode": "naïve café ✓",
            "invisible": "nbsp\u00a0bell\x07",
            "empty": "",
        },
    )


def transaction_cache() -> ModelPlan:
    return _onnx(
        model_transaction_policy=TransactionPolicy(decoupled=True),
        response_cache=ResponseCache(enable=True),
    )


def python_model() -> ModelPlan:
    config = ModelConfig(
        name="tokenizer",
        backend="python",
        max_batch_size=64,
        input=[ModelInput(name="TEXT", data_type=T.TYPE_STRING, dims=[1])],
        output=[
            ModelOutput(name="INPUT_IDS", data_type=T.TYPE_INT64, dims=[-1]),
            ModelOutput(name="ATTENTION_MASK", data_type=T.TYPE_INT64, dims=[-1]),
        ],
        dynamic_batching=DynamicBatching(),
        instance_group=[InstanceGroup(kind="KIND_CPU", count=2)],
        parameters={"EXECUTION_ENV_PATH": "$$TRITON_MODEL_DIRECTORY/env.tar.gz"},
    )
    return ModelPlan(config=config, kind="python")


def onnx_model() -> ModelPlan:
    config = ModelConfig(
        name="resnet50",
        platform="onnxruntime_onnx",
        backend="onnxruntime",
        max_batch_size=32,
        input=[
            ModelInput(
                name="input", data_type=T.TYPE_FP32, format="FORMAT_NCHW", dims=[3, 224, 224]
            )
        ],
        output=[
            ModelOutput(
                name="output", data_type=T.TYPE_FP32, dims=[1000], label_filename="labels.txt"
            )
        ],
        dynamic_batching=DynamicBatching(
            preferred_batch_size=[8, 16], max_queue_delay_microseconds=200
        ),
        instance_group=[InstanceGroup(kind="KIND_GPU", count=1, gpus=[0])],
    )
    return ModelPlan(config=config, kind="onnx")


def tensorrt_llm_model() -> ModelPlan:
    config = ModelConfig(
        name="llama",
        backend="tensorrtllm",
        max_batch_size=8,
        input=[
            ModelInput(
                name="input_ids", data_type=T.TYPE_INT32, dims=[-1], allow_ragged_batch=True
            ),
            ModelInput(name="request_output_len", data_type=T.TYPE_INT32, dims=[1]),
            ModelInput(name="end_id", data_type=T.TYPE_INT32, dims=[1], optional=True),
        ],
        output=[ModelOutput(name="output_ids", data_type=T.TYPE_INT32, dims=[-1, -1])],
        dynamic_batching=DynamicBatching(preferred_batch_size=[8]),
        instance_group=[InstanceGroup(kind="KIND_GPU", count=1)],
        model_transaction_policy=TransactionPolicy(decoupled=True),
        parameters={
            "gpt_model_type": "inflight_fused_batching",
            "gpt_model_path": "$$TRITON_MODEL_DIRECTORY/1",
            "max_beam_width": "1",
        },
    )
    return ModelPlan(config=config, kind="tensorrt_llm")


def vllm_model() -> ModelPlan:
    # what a `kind: vllm` project entry translates to: the backend's contract filled in
    return ModelPlan(config=vllm_config(ModelConfig(name="chat", backend="vllm")), kind="vllm")


CASES: dict[str, Callable[[], ModelPlan]] = {
    f.__name__: f
    for f in (
        io,
        batching,
        sequence,
        sequence_oldest,
        ensemble,
        instance_groups,
        optimization,
        warmup,
        version_latest,
        version_all,
        version_specific,
        parameters,
        transaction_cache,
        python_model,
        onnx_model,
        tensorrt_llm_model,
        vllm_model,
    )
}
