"""Hypothesis strategies for valid ``ModelConfig`` mirrors: every field, protobuf's value ranges.

"Valid" means convertible to Triton's schema (``to_proto`` accepts it), not loadable by Triton:
the round trip must hold for any config the schema can express.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tritonops.model_config import (
    Accelerator,
    AllVersions,
    BatchInput,
    BatchInputKind,
    BatchOutput,
    Control,
    ControlInput,
    ControlKind,
    Cuda,
    DataType,
    DynamicBatching,
    EnsembleScheduling,
    EnsembleStep,
    ExecutionAccelerators,
    GraphOptimization,
    InitialState,
    InstanceGroup,
    InstanceKind,
    Latest,
    ModelConfig,
    ModelInput,
    ModelOutput,
    ModelPriority,
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
    TensorFormat,
    TimeoutAction,
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

# Any text protobuf can hold: quotes, backslashes, control characters, non-ASCII.
text = st.text(max_size=6)
int32 = st.integers(-(2**31), 2**31 - 1)
uint32 = st.integers(0, 2**32 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
uint64 = st.integers(0, 2**64 - 1)
float32 = st.floats(allow_nan=False, allow_infinity=False, width=32) | st.floats(-1e6, 1e6)
dims = st.lists(st.integers(-1, 2**40), max_size=3)
data_type = st.sampled_from(DataType)


def small(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(strategy, max_size=2)


def text_map(values: st.SearchStrategy[Any] = text) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(text, values, max_size=2)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


reshape = st.builds(Reshape, shape=dims)

model_input = st.builds(
    ModelInput,
    name=text,
    data_type=data_type,
    format=st.sampled_from(TensorFormat),
    dims=dims,
    reshape=optional(reshape),
    is_shape_tensor=st.booleans(),
    allow_ragged_batch=st.booleans(),
    optional=st.booleans(),
    is_non_linear_format_io=st.booleans(),
)

model_output = st.builds(
    ModelOutput,
    name=text,
    data_type=data_type,
    dims=dims,
    reshape=optional(reshape),
    label_filename=text,
    is_shape_tensor=st.booleans(),
    is_non_linear_format_io=st.booleans(),
)

batch_input = st.builds(
    BatchInput,
    kind=st.sampled_from(BatchInputKind),
    target_name=small(text),
    data_type=data_type,
    source_input=small(text),
)
batch_output = st.builds(BatchOutput, target_name=small(text), source_input=small(text))

version_policy = st.one_of(
    st.builds(VersionPolicy),
    st.builds(VersionPolicy, latest=st.builds(Latest, num_versions=uint32)),
    st.builds(VersionPolicy, all=st.builds(AllVersions)),
    st.builds(VersionPolicy, specific=st.builds(Specific, versions=small(int64))),
)

resource = st.builds(
    lambda name, is_global, count: RateLimiterResource.model_validate(
        {"name": name, "global": is_global, "count": count}
    ),
    text,
    st.booleans(),
    uint32,
)
instance_group = st.builds(
    InstanceGroup,
    name=text,
    kind=st.sampled_from(InstanceKind),
    count=int32,
    rate_limiter=optional(st.builds(RateLimiter, resources=small(resource), priority=uint32)),
    gpus=small(int32),
    secondary_devices=small(st.builds(SecondaryDevice, device_id=int64)),
    profile=small(text),
    passive=st.booleans(),
    host_policy=text,
)

queue_policy = st.builds(
    QueuePolicy,
    timeout_action=st.sampled_from(TimeoutAction),
    default_timeout_microseconds=uint64,
    allow_timeout_override=st.booleans(),
    max_queue_size=uint32,
)
dynamic_batching = st.builds(
    DynamicBatching,
    preferred_batch_size=small(int32),
    max_queue_delay_microseconds=uint64,
    preserve_ordering=st.booleans(),
    priority_levels=uint64,
    default_priority_level=uint64,
    default_queue_policy=optional(queue_policy),
    priority_queue_policy=st.dictionaries(uint64, queue_policy, max_size=2),
)

control = st.builds(
    Control,
    kind=st.sampled_from(ControlKind),
    int32_false_true=small(int32),
    fp32_false_true=small(float32),
    bool_false_true=small(st.booleans()),
    data_type=data_type,
)
# state_data is a oneof: at most one of zero_data / data_file.
initial_state = st.one_of(
    st.builds(InitialState, data_type=data_type, dims=dims, name=text),
    st.builds(InitialState, data_type=data_type, dims=dims, zero_data=st.booleans(), name=text),
    st.builds(InitialState, data_type=data_type, dims=dims, data_file=text, name=text),
)
sequence_state = st.builds(
    SequenceState,
    input_name=text,
    output_name=text,
    data_type=data_type,
    dims=dims,
    initial_state=small(initial_state),
    use_same_buffer_for_input_output=st.booleans(),
    use_growable_memory=st.booleans(),
)
direct = st.builds(
    StrategyDirect, max_queue_delay_microseconds=uint64, minimum_slot_utilization=float32
)
oldest = st.builds(
    StrategyOldest,
    max_candidate_sequences=int32,
    preferred_batch_size=small(int32),
    max_queue_delay_microseconds=uint64,
    preserve_ordering=st.booleans(),
)
sequence_common: dict[str, st.SearchStrategy[Any]] = {
    "max_sequence_idle_microseconds": uint64,
    "control_input": small(st.builds(ControlInput, name=text, control=small(control))),
    "state": small(sequence_state),
    "iterative_sequence": st.booleans(),
}
sequence_batching = st.one_of(
    st.builds(SequenceBatching, **sequence_common),
    st.builds(SequenceBatching, direct=direct, **sequence_common),
    st.builds(SequenceBatching, oldest=oldest, **sequence_common),
)

ensemble_scheduling = st.builds(
    EnsembleScheduling,
    step=small(
        st.builds(
            EnsembleStep,
            model_name=text,
            model_version=int64,
            input_map=text_map(),
            output_map=text_map(),
            model_namespace=text,
        )
    ),
)

graph_shape = st.builds(GraphSpecShape, dim=dims)
graph_spec = st.builds(
    GraphSpec,
    batch_size=int32,
    input=text_map(graph_shape),
    graph_lower_bound=optional(
        st.builds(GraphSpecLowerBound, batch_size=int32, input=text_map(graph_shape))
    ),
)
accelerator = st.builds(Accelerator, name=text, parameters=text_map())
optimization = st.builds(
    Optimization,
    graph=optional(st.builds(GraphOptimization, level=int32)),
    priority=st.sampled_from(ModelPriority),
    cuda=optional(
        st.builds(
            Cuda,
            graphs=st.booleans(),
            busy_wait_events=st.booleans(),
            graph_spec=small(graph_spec),
            output_copy_stream=st.booleans(),
        )
    ),
    execution_accelerators=optional(
        st.builds(
            ExecutionAccelerators,
            gpu_execution_accelerator=small(accelerator),
            cpu_execution_accelerator=small(accelerator),
        )
    ),
    input_pinned_memory=optional(st.builds(PinnedMemory, enable=st.booleans())),
    output_pinned_memory=optional(st.builds(PinnedMemory, enable=st.booleans())),
    gather_kernel_buffer_threshold=uint32,
    eager_batching=st.booleans(),
)

# input_data_type is a oneof: at most one of zero_data / random_data / input_data_file.
warmup_input = st.one_of(
    st.builds(WarmupInput, data_type=data_type, dims=dims),
    st.builds(WarmupInput, data_type=data_type, dims=dims, zero_data=st.booleans()),
    st.builds(WarmupInput, data_type=data_type, dims=dims, random_data=st.booleans()),
    st.builds(WarmupInput, data_type=data_type, dims=dims, input_data_file=text),
)
model_warmup = st.builds(
    ModelWarmup, name=text, batch_size=uint32, inputs=text_map(warmup_input), count=uint32
)

scheduler: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.fixed_dictionaries({}),
    st.fixed_dictionaries({"dynamic_batching": dynamic_batching}),
    st.fixed_dictionaries({"sequence_batching": sequence_batching}),
    st.fixed_dictionaries({"ensemble_scheduling": ensemble_scheduling}),
)


@st.composite
def model_configs(draw: st.DrawFn) -> ModelConfig:
    return ModelConfig(
        name=draw(text),
        platform=draw(text),
        backend=draw(text),
        runtime=draw(text),
        version_policy=draw(optional(version_policy)),
        max_batch_size=draw(int32),
        input=draw(small(model_input)),
        output=draw(small(model_output)),
        batch_input=draw(small(batch_input)),
        batch_output=draw(small(batch_output)),
        optimization=draw(optional(optimization)),
        instance_group=draw(small(instance_group)),
        default_model_filename=draw(text),
        cc_model_filenames=draw(text_map()),
        metric_tags=draw(text_map()),
        parameters=draw(text_map()),
        model_warmup=draw(small(model_warmup)),
        model_transaction_policy=draw(
            optional(st.builds(TransactionPolicy, decoupled=st.booleans()))
        ),
        response_cache=draw(optional(st.builds(ResponseCache, enable=st.booleans()))),
        **draw(scheduler),
    )
