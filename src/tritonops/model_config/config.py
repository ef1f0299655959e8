"""The internal mirror of Triton's ``inference.ModelConfig`` (model_config.proto).

Field names are the proto's own, so a mirror object dumps to the proto's JSON form and back without
a mapping table (see ``proto.py``). Only ``map<string, ModelParameter>`` fields differ in shape:
here they are plain ``dict[str, str]``. Fields left at their default are omitted when rendered.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tritonops.model_config.enums import (
    BatchInputKind,
    BatchOutputKind,
    ControlKind,
    DataType,
    InstanceKind,
    ModelPriority,
    TensorFormat,
    TimeoutAction,
)
from tritonops.model_config.field_docs import describe_fields


class Message(BaseModel):
    """Base of every mirrored message: strict about unknown fields, proto field names verbatim."""

    model_config = ConfigDict(
        extra="forbid",
        protected_namespaces=(),
        validate_assignment=True,
        json_schema_extra=describe_fields,
    )


def _unwrap_parameters(value: Any) -> Any:
    """Accept both ``{"k": "v"}`` and the proto JSON form ``{"k": {"string_value": "v"}}``."""
    if isinstance(value, dict):
        return {
            k: (v.get("string_value", "") if isinstance(v, dict) else v) for k, v in value.items()
        }
    return value


def _one_of(message: Message, *names: str) -> None:
    """proto ``oneof``: at most one of the fields may be set."""
    chosen = [n for n in names if getattr(message, n) is not None]
    if len(chosen) > 1:
        raise ValueError(f"choose one of {', '.join(names)} (got {', '.join(chosen)})")


class Reshape(Message):
    shape: list[int] = Field(default_factory=list)


class ModelInput(Message):
    name: str
    data_type: DataType
    format: TensorFormat = TensorFormat.FORMAT_NONE
    dims: list[int] = Field(default_factory=list)
    reshape: Reshape | None = None
    is_shape_tensor: bool = False
    allow_ragged_batch: bool = False
    optional: bool = False
    is_non_linear_format_io: bool = False


class ModelOutput(Message):
    name: str
    data_type: DataType
    dims: list[int] = Field(default_factory=list)
    reshape: Reshape | None = None
    label_filename: str = ""
    is_shape_tensor: bool = False
    is_non_linear_format_io: bool = False


class BatchInput(Message):
    kind: BatchInputKind
    target_name: list[str] = Field(default_factory=list)
    data_type: DataType
    source_input: list[str] = Field(default_factory=list)


class BatchOutput(Message):
    target_name: list[str] = Field(default_factory=list)
    kind: BatchOutputKind = BatchOutputKind.BATCH_SCATTER_WITH_INPUT_SHAPE
    source_input: list[str] = Field(default_factory=list)


class Latest(Message):
    num_versions: int = 1


class AllVersions(Message):
    pass


class Specific(Message):
    versions: list[int] = Field(default_factory=list)


class VersionPolicy(Message):
    latest: Latest | None = None
    all: AllVersions | None = None
    specific: Specific | None = None

    @model_validator(mode="after")
    def _one_choice(self) -> VersionPolicy:
        _one_of(self, "latest", "all", "specific")
        return self


class RateLimiterResource(Message):
    name: str
    global_: bool = Field(default=False, alias="global")
    count: int = 0

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RateLimiter(Message):
    resources: list[RateLimiterResource] = Field(default_factory=list)
    priority: int = 0


class SecondaryDevice(Message):
    kind: str = "KIND_NVDLA"
    device_id: int = 0


class InstanceGroup(Message):
    name: str = ""
    kind: InstanceKind = InstanceKind.KIND_AUTO
    count: int = 0
    rate_limiter: RateLimiter | None = None
    gpus: list[int] = Field(default_factory=list)
    secondary_devices: list[SecondaryDevice] = Field(default_factory=list)
    profile: list[str] = Field(default_factory=list)
    passive: bool = False
    host_policy: str = ""


class QueuePolicy(Message):
    timeout_action: TimeoutAction = TimeoutAction.REJECT
    default_timeout_microseconds: int = 0
    allow_timeout_override: bool = False
    max_queue_size: int = 0


class DynamicBatching(Message):
    preferred_batch_size: list[int] = Field(default_factory=list)
    max_queue_delay_microseconds: int = 0
    preserve_ordering: bool = False
    priority_levels: int = 0
    default_priority_level: int = 0
    default_queue_policy: QueuePolicy | None = None
    priority_queue_policy: dict[int, QueuePolicy] = Field(default_factory=dict)


class Control(Message):
    kind: ControlKind
    int32_false_true: list[int] = Field(default_factory=list)
    fp32_false_true: list[float] = Field(default_factory=list)
    bool_false_true: list[bool] = Field(default_factory=list)
    data_type: DataType = DataType.TYPE_INVALID


class ControlInput(Message):
    name: str
    control: list[Control] = Field(default_factory=list)


class InitialState(Message):
    data_type: DataType
    dims: list[int] = Field(default_factory=list)
    zero_data: bool | None = None
    data_file: str | None = None
    name: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> InitialState:
        _one_of(self, "zero_data", "data_file")
        return self


class SequenceState(Message):
    input_name: str
    output_name: str
    data_type: DataType
    dims: list[int] = Field(default_factory=list)
    initial_state: list[InitialState] = Field(default_factory=list)
    use_same_buffer_for_input_output: bool = False
    use_growable_memory: bool = False


class StrategyDirect(Message):
    max_queue_delay_microseconds: int = 0
    minimum_slot_utilization: float = 0.0


class StrategyOldest(Message):
    max_candidate_sequences: int = 0
    preferred_batch_size: list[int] = Field(default_factory=list)
    max_queue_delay_microseconds: int = 0
    preserve_ordering: bool = False


class SequenceBatching(Message):
    direct: StrategyDirect | None = None
    oldest: StrategyOldest | None = None
    max_sequence_idle_microseconds: int = 0
    control_input: list[ControlInput] = Field(default_factory=list)
    state: list[SequenceState] = Field(default_factory=list)
    iterative_sequence: bool = False

    @model_validator(mode="after")
    def _one_strategy(self) -> SequenceBatching:
        _one_of(self, "direct", "oldest")
        return self


class EnsembleStep(Message):
    model_name: str
    model_version: int = -1
    input_map: dict[str, str] = Field(default_factory=dict)
    output_map: dict[str, str] = Field(default_factory=dict)
    model_namespace: str = ""


class EnsembleScheduling(Message):
    step: list[EnsembleStep] = Field(default_factory=list)


class Accelerator(Message):
    name: str
    parameters: dict[str, str] = Field(default_factory=dict)


class ExecutionAccelerators(Message):
    gpu_execution_accelerator: list[Accelerator] = Field(default_factory=list)
    cpu_execution_accelerator: list[Accelerator] = Field(default_factory=list)


class GraphSpecShape(Message):
    dim: list[int] = Field(default_factory=list)


class GraphSpecLowerBound(Message):
    batch_size: int = 0
    input: dict[str, GraphSpecShape] = Field(default_factory=dict)


class GraphSpec(Message):
    batch_size: int = 0
    input: dict[str, GraphSpecShape] = Field(default_factory=dict)
    graph_lower_bound: GraphSpecLowerBound | None = None


class Cuda(Message):
    graphs: bool = False
    busy_wait_events: bool = False
    graph_spec: list[GraphSpec] = Field(default_factory=list)
    output_copy_stream: bool = False


class GraphOptimization(Message):
    level: int = 0


class PinnedMemory(Message):
    enable: bool = True


class Optimization(Message):
    graph: GraphOptimization | None = None
    priority: ModelPriority = ModelPriority.PRIORITY_DEFAULT
    cuda: Cuda | None = None
    execution_accelerators: ExecutionAccelerators | None = None
    input_pinned_memory: PinnedMemory | None = None
    output_pinned_memory: PinnedMemory | None = None
    gather_kernel_buffer_threshold: int = 0
    eager_batching: bool = False


class WarmupInput(Message):
    data_type: DataType
    dims: list[int] = Field(default_factory=list)
    zero_data: bool | None = None
    random_data: bool | None = None
    input_data_file: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> WarmupInput:
        _one_of(self, "zero_data", "random_data", "input_data_file")
        return self


class ModelWarmup(Message):
    name: str
    batch_size: int = 1
    inputs: dict[str, WarmupInput] = Field(default_factory=dict)
    count: int = 0


class TransactionPolicy(Message):
    decoupled: bool = False


class ResponseCache(Message):
    enable: bool = False


class ModelConfig(Message):
    """One model's config.pbtxt."""

    name: str
    platform: str = ""
    backend: str = ""
    runtime: str = ""
    version_policy: VersionPolicy | None = None
    max_batch_size: int = 0
    input: list[ModelInput] = Field(default_factory=list)
    output: list[ModelOutput] = Field(default_factory=list)
    batch_input: list[BatchInput] = Field(default_factory=list)
    batch_output: list[BatchOutput] = Field(default_factory=list)
    optimization: Optimization | None = None
    dynamic_batching: DynamicBatching | None = None
    sequence_batching: SequenceBatching | None = None
    ensemble_scheduling: EnsembleScheduling | None = None
    instance_group: list[InstanceGroup] = Field(default_factory=list)
    default_model_filename: str = ""
    cc_model_filenames: dict[str, str] = Field(default_factory=dict)
    metric_tags: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, str] = Field(default_factory=dict)
    model_warmup: list[ModelWarmup] = Field(default_factory=list)
    model_transaction_policy: TransactionPolicy | None = None
    response_cache: ResponseCache | None = None

    _unwrap = field_validator("parameters", mode="before")(_unwrap_parameters)

    @model_validator(mode="after")
    def _one_scheduler(self) -> ModelConfig:
        chosen = [
            n
            for n in ("dynamic_batching", "sequence_batching", "ensemble_scheduling")
            if getattr(self, n) is not None
        ]
        if len(chosen) > 1:
            raise ValueError(f"a model has one scheduler; choose one of {', '.join(chosen)}")
        return self

    @property
    def is_ensemble(self) -> bool:
        return self.platform == "ensemble" or self.ensemble_scheduling is not None
