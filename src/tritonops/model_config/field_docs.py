"""What each mirrored field means, in a sentence: descriptions for the project file's JSON Schema.

The mirror's fields keep model_config.proto's names and plain declarations (so they read like the
proto); their meaning lives here and is attached to the JSON Schema by ``Message``'s
``json_schema_extra``. The wording is ours, written from Triton's model configuration guide
(docs/user_guide/model_configuration.md, batcher.md, optimization.md, rate_limiter.md in
triton-inference-server/server) and the comments of model_config.proto (common repository).
A class's own entry is keyed ``""``.
"""

from __future__ import annotations

from typing import Any

FIELD_DOCS: dict[str, dict[str, str]] = {
    "Reshape": {
        "": "The shape the backend sees when it differs from the shape clients send.",
        "shape": "The shape presented to the model (without the batch axis).",
    },
    "ModelInput": {
        "": "One input tensor of the model.",
        "name": "The tensor's name, as the model (and clients) call it.",
        "data_type": "Element type: a Triton name (TYPE_FP32) or an alias (fp32, float32, int64,"
        " string, bool).",
        "format": "Image layout hint for the tensor (FORMAT_NHWC, FORMAT_NCHW) or none.",
        "dims": "Shape without the batch axis when max_batch_size > 0; -1 marks a variable"
        " dimension.",
        "reshape": "Reshape the tensor before the model sees it.",
        "is_shape_tensor": "The tensor holds a shape (TensorRT shape tensors).",
        "allow_ragged_batch": "Requests with different shapes may be batched together (the"
        " backend handles the raggedness).",
        "optional": "Requests may leave this input out.",
        "is_non_linear_format_io": "The tensor uses a non-linear memory format (TensorRT).",
    },
    "ModelOutput": {
        "": "One output tensor of the model.",
        "name": "The tensor's name, as the model produces it.",
        "data_type": "Element type: a Triton name (TYPE_FP32) or an alias (fp32, int64, string).",
        "dims": "Shape without the batch axis when max_batch_size > 0; -1 marks a variable"
        " dimension.",
        "reshape": "Reshape the tensor after the model produces it.",
        "label_filename": "A file in the model folder with one class label per line, used by"
        " classification requests.",
        "is_shape_tensor": "The tensor holds a shape (TensorRT shape tensors).",
        "is_non_linear_format_io": "The tensor uses a non-linear memory format (TensorRT).",
    },
    "BatchInput": {
        "": "An input Triton computes from the batch it formed (ragged batching).",
        "kind": "What Triton computes (element counts, accumulated counts, item shapes...).",
        "target_name": "The model input(s) that receive the computed tensor.",
        "data_type": "Element type of the computed tensor.",
        "source_input": "The request input(s) the value is computed from.",
    },
    "BatchOutput": {
        "": "An output Triton scatters back to each request of a ragged batch.",
        "target_name": "The model output(s) to scatter.",
        "kind": "How the output is split per request.",
        "source_input": "The input whose per-request shape decides the split.",
    },
    "Latest": {
        "": "Serve the newest versions.",
        "num_versions": "How many of the highest-numbered versions to serve.",
    },
    "AllVersions": {"": "Serve every version folder."},
    "Specific": {
        "": "Serve the listed versions only.",
        "versions": "The version numbers to serve.",
    },
    "VersionPolicy": {
        "": "Which versions Triton serves; set one of latest, all or specific.",
        "latest": "Serve the newest num_versions versions (Triton's default is 1).",
        "all": "Serve every version: write all: {}.",
        "specific": "Serve exactly the listed versions.",
    },
    "RateLimiterResource": {
        "": "A resource an instance needs before it may run.",
        "name": "The resource's name.",
        "global": "The resource is shared by every device instead of counted per device.",
        "count": "How many units of the resource one execution takes.",
    },
    "RateLimiter": {
        "": "Rate-limiter settings of an instance group (with --rate-limit on the server).",
        "resources": "Resources an execution needs.",
        "priority": "Weight of this group's instances when the rate limiter chooses (1 = most"
        " often).",
    },
    "SecondaryDevice": {
        "": "An extra device an instance uses.",
        "kind": "The device kind (KIND_NVDLA).",
        "device_id": "The device's id.",
    },
    "InstanceGroup": {
        "": "A set of model instances of one kind.",
        "name": "The group's name; empty: Triton names it.",
        "kind": "Where the instances run: KIND_CPU, KIND_GPU, KIND_MODEL or KIND_AUTO (alias:"
        " cpu, gpu).",
        "count": "Instances per device (per listed GPU for KIND_GPU); 0: Triton's default of 1.",
        "rate_limiter": "Rate-limiter resources and priority of these instances.",
        "gpus": "GPU ids for KIND_GPU; empty: every visible GPU.",
        "secondary_devices": "Extra devices each instance uses.",
        "profile": "TensorRT optimization profiles these instances use.",
        "passive": "Load the instances but do not schedule requests on them.",
        "host_policy": "The host policy (NUMA settings) these instances follow.",
    },
    "QueuePolicy": {
        "": "How long requests may wait in a batcher queue and what happens then.",
        "timeout_action": "What happens to a request that times out: REJECT or DELAY.",
        "default_timeout_microseconds": "Queue timeout of a request; 0: none.",
        "allow_timeout_override": "Requests may set a shorter timeout of their own.",
        "max_queue_size": "Most requests waiting; 0: unbounded.",
    },
    "DynamicBatching": {
        "": "Triton's dynamic batcher: requests are combined into batches on the server.",
        "preferred_batch_size": "Batch sizes the batcher aims for; each at most max_batch_size.",
        "max_queue_delay_microseconds": "Longest a request waits for more requests to form a"
        " batch.",
        "preserve_ordering": "Return responses in the order requests arrived.",
        "priority_levels": "Number of priority levels requests may use; 0: none.",
        "default_priority_level": "Priority of requests that name none (1..priority_levels).",
        "default_queue_policy": "Queue policy of every priority level not listed below.",
        "priority_queue_policy": "Queue policy per priority level.",
    },
    "Control": {
        "": "One control signal of the sequence batcher.",
        "kind": "The signal: START, READY, END or CORRID of a sequence.",
        "int32_false_true": "The int32 values meaning false and true.",
        "fp32_false_true": "The fp32 values meaning false and true.",
        "bool_false_true": "The bool values meaning false and true.",
        "data_type": "Element type of the correlation id (CONTROL_SEQUENCE_CORRID).",
    },
    "ControlInput": {
        "": "A model input that carries sequence control signals.",
        "name": "The input's name.",
        "control": "The signals it carries.",
    },
    "InitialState": {
        "": "The value an implicit state starts a sequence with.",
        "data_type": "Element type of the initial value.",
        "dims": "Shape of the initial value.",
        "zero_data": "Start from zeros.",
        "data_file": "Start from this file's bytes (in the model folder's initial_state/).",
        "name": "The initial state's name.",
    },
    "SequenceState": {
        "": "An implicit state kept by the server between requests of a sequence.",
        "input_name": "The model input that receives the state.",
        "output_name": "The model output that updates the state.",
        "data_type": "Element type of the state.",
        "dims": "Shape of the state.",
        "initial_state": "How the state starts.",
        "use_same_buffer_for_input_output": "Read and write the state in one buffer.",
        "use_growable_memory": "Let the state buffer grow (with the same buffer).",
    },
    "StrategyDirect": {
        "": "Each sequence keeps its own batch slot.",
        "max_queue_delay_microseconds": "Longest wait for a fuller batch.",
        "minimum_slot_utilization": "Share of slots that must be ready before a batch runs.",
    },
    "StrategyOldest": {
        "": "Batches are formed from the oldest requests across sequences.",
        "max_candidate_sequences": "Most sequences considered for a batch.",
        "preferred_batch_size": "Batch sizes the batcher aims for.",
        "max_queue_delay_microseconds": "Longest wait for a fuller batch.",
        "preserve_ordering": "Return responses in the order requests arrived.",
    },
    "SequenceBatching": {
        "": "The sequence batcher, for stateful models; set direct or oldest.",
        "direct": "The direct strategy.",
        "oldest": "The oldest-first strategy.",
        "max_sequence_idle_microseconds": "A sequence idle this long is ended and its slot freed.",
        "control_input": "Inputs that carry control signals.",
        "state": "Implicit states kept between requests.",
        "iterative_sequence": "The model answers one request over several iterations.",
    },
    "Accelerator": {
        "": "An execution accelerator and its settings.",
        "name": "The accelerator (e.g. tensorrt, openvino).",
        "parameters": "Its settings, as text.",
    },
    "ExecutionAccelerators": {
        "": "Accelerators a backend may use.",
        "gpu_execution_accelerator": "For instances on GPU.",
        "cpu_execution_accelerator": "For instances on CPU.",
    },
    "GraphSpecShape": {"": "A tensor shape.", "dim": "The dimensions."},
    "GraphSpecLowerBound": {
        "": "The smallest shapes a CUDA graph covers.",
        "batch_size": "The smallest batch size.",
        "input": "The smallest shape per input.",
    },
    "GraphSpec": {
        "": "Shapes a CUDA graph is captured for.",
        "batch_size": "The batch size.",
        "input": "The shape per input.",
        "graph_lower_bound": "The lower bound of a graph covering a range of shapes.",
    },
    "Cuda": {
        "": "CUDA settings (backends that support them, TensorRT mostly).",
        "graphs": "Capture CUDA graphs.",
        "busy_wait_events": "Busy-wait on CUDA events (lower latency, more CPU).",
        "graph_spec": "Shapes to capture graphs for.",
        "output_copy_stream": "Copy outputs on a separate stream.",
    },
    "GraphOptimization": {
        "": "Graph optimization settings.",
        "level": "Optimization level; its meaning is the backend's.",
    },
    "PinnedMemory": {"": "Pinned (page-locked) host memory.", "enable": "Use it."},
    "Optimization": {
        "": "Optimization settings of the model.",
        "graph": "Graph optimization level.",
        "priority": "Priority of the model's work: PRIORITY_DEFAULT, PRIORITY_MAX, PRIORITY_MIN.",
        "cuda": "CUDA settings.",
        "execution_accelerators": "Accelerators the backend may use.",
        "input_pinned_memory": "Stage inputs in pinned memory.",
        "output_pinned_memory": "Stage outputs in pinned memory.",
        "gather_kernel_buffer_threshold": "Gather input buffers on the GPU when there are at"
        " least this many; 0: never.",
        "eager_batching": "Start a batch as soon as an instance is free.",
    },
    "WarmupInput": {
        "": "One input of a warm-up request; set one of zero_data, random_data, input_data_file.",
        "data_type": "Element type.",
        "dims": "Shape without the batch axis.",
        "zero_data": "Send zeros.",
        "random_data": "Send random values.",
        "input_data_file": "Send this file's bytes (in the model folder's warmup/).",
    },
    "ModelWarmup": {
        "": "A request Triton runs when it loads the model.",
        "name": "The warm-up's name.",
        "batch_size": "Batch size of the request.",
        "inputs": "Each input's data, by input name.",
        "count": "How many times to run it; 0: once.",
    },
    "TransactionPolicy": {
        "": "How requests and responses relate.",
        "decoupled": "The model may send any number of responses per request (streaming).",
    },
    "ResponseCache": {
        "": "The server's response cache for this model (the server needs a cache configured).",
        "enable": "Cache responses.",
    },
}


# one example value per field, as a project file would write it (tests check each against its
# field's schema)
FIELD_EXAMPLES: dict[str, dict[str, Any]] = {
    "Reshape": {"shape": [1, 4]},
    "ModelInput": {
        "name": "input",
        "data_type": "fp32",
        "format": "FORMAT_NCHW",
        "dims": [3, 224, 224],
        "reshape": {"shape": [1, 4]},
        "is_shape_tensor": False,
        "allow_ragged_batch": True,
        "optional": True,
        "is_non_linear_format_io": False,
    },
    "ModelOutput": {
        "name": "probabilities",
        "data_type": "fp32",
        "dims": [10],
        "reshape": {"shape": [10]},
        "label_filename": "labels.txt",
        "is_shape_tensor": False,
        "is_non_linear_format_io": False,
    },
    "BatchInput": {
        "kind": "BATCH_ACCUMULATED_ELEMENT_COUNT",
        "target_name": ["INDEX"],
        "data_type": "fp32",
        "source_input": ["RAGGED_INPUT"],
    },
    "BatchOutput": {
        "target_name": ["OUTPUT"],
        "kind": "BATCH_SCATTER_WITH_INPUT_SHAPE",
        "source_input": ["RAGGED_INPUT"],
    },
    "Latest": {"num_versions": 2},
    "Specific": {"versions": [1, 3]},
    "VersionPolicy": {"latest": {"num_versions": 1}, "all": {}, "specific": {"versions": [1, 3]}},
    "RateLimiterResource": {"name": "R1", "global": False, "count": 2},
    "RateLimiter": {"resources": [{"name": "R1", "count": 2}], "priority": 1},
    "SecondaryDevice": {"kind": "KIND_NVDLA", "device_id": 0},
    "InstanceGroup": {
        "name": "cpu_pool",
        "kind": "cpu",
        "count": 2,
        "rate_limiter": {"resources": [{"name": "R1", "count": 1}]},
        "gpus": [0, 1],
        "secondary_devices": [{"kind": "KIND_NVDLA", "device_id": 0}],
        "profile": ["0"],
        "passive": False,
        "host_policy": "numa0",
    },
    "QueuePolicy": {
        "timeout_action": "REJECT",
        "default_timeout_microseconds": 100000,
        "allow_timeout_override": True,
        "max_queue_size": 64,
    },
    "DynamicBatching": {
        "preferred_batch_size": [8, 16],
        "max_queue_delay_microseconds": 200,
        "preserve_ordering": True,
        "priority_levels": 2,
        "default_priority_level": 2,
        "default_queue_policy": {"max_queue_size": 64},
        "priority_queue_policy": {"1": {"timeout_action": "DELAY"}},
    },
    "Control": {
        "kind": "CONTROL_SEQUENCE_START",
        "int32_false_true": [0, 1],
        "fp32_false_true": [0.0, 1.0],
        "bool_false_true": [False, True],
        "data_type": "uint64",
    },
    "ControlInput": {
        "name": "START",
        "control": [{"kind": "CONTROL_SEQUENCE_START", "int32_false_true": [0, 1]}],
    },
    "InitialState": {
        "data_type": "fp32",
        "dims": [16],
        "zero_data": True,
        "data_file": "state0.bin",
        "name": "zeros",
    },
    "SequenceState": {
        "input_name": "INPUT_STATE",
        "output_name": "OUTPUT_STATE",
        "data_type": "fp32",
        "dims": [16],
        "initial_state": [{"data_type": "fp32", "dims": [16], "zero_data": True, "name": "z"}],
        "use_same_buffer_for_input_output": False,
        "use_growable_memory": False,
    },
    "StrategyDirect": {"max_queue_delay_microseconds": 100, "minimum_slot_utilization": 0.5},
    "StrategyOldest": {
        "max_candidate_sequences": 8,
        "preferred_batch_size": [4, 8],
        "max_queue_delay_microseconds": 100,
        "preserve_ordering": False,
    },
    "SequenceBatching": {
        "direct": {"max_queue_delay_microseconds": 100},
        "oldest": {"max_candidate_sequences": 8},
        "max_sequence_idle_microseconds": 5000000,
        "control_input": [
            {
                "name": "START",
                "control": [{"kind": "CONTROL_SEQUENCE_START", "int32_false_true": [0, 1]}],
            }
        ],
        "state": [
            {
                "input_name": "IN_STATE",
                "output_name": "OUT_STATE",
                "data_type": "fp32",
                "dims": [16],
            }
        ],
        "iterative_sequence": False,
    },
    "Accelerator": {"name": "tensorrt", "parameters": {"precision_mode": "FP16"}},
    "ExecutionAccelerators": {
        "gpu_execution_accelerator": [{"name": "tensorrt"}],
        "cpu_execution_accelerator": [{"name": "openvino"}],
    },
    "GraphSpecShape": {"dim": [1, 4]},
    "GraphSpecLowerBound": {"batch_size": 1, "input": {"input": {"dim": [4]}}},
    "GraphSpec": {
        "batch_size": 8,
        "input": {"input": {"dim": [4]}},
        "graph_lower_bound": {"batch_size": 1, "input": {"input": {"dim": [4]}}},
    },
    "Cuda": {
        "graphs": True,
        "busy_wait_events": False,
        "graph_spec": [{"batch_size": 8}],
        "output_copy_stream": True,
    },
    "GraphOptimization": {"level": 1},
    "PinnedMemory": {"enable": False},
    "Optimization": {
        "graph": {"level": 1},
        "priority": "PRIORITY_MAX",
        "cuda": {"graphs": True},
        "execution_accelerators": {"gpu_execution_accelerator": [{"name": "tensorrt"}]},
        "input_pinned_memory": {"enable": False},
        "output_pinned_memory": {"enable": False},
        "gather_kernel_buffer_threshold": 4,
        "eager_batching": True,
    },
    "WarmupInput": {
        "data_type": "fp32",
        "dims": [4],
        "zero_data": True,
        "random_data": True,
        "input_data_file": "input0.bin",
    },
    "ModelWarmup": {
        "name": "zeros",
        "batch_size": 4,
        "inputs": {"input": {"data_type": "fp32", "dims": [4], "zero_data": True}},
        "count": 2,
    },
    "TransactionPolicy": {"decoupled": True},
    "ResponseCache": {"enable": True},
}


def describe_fields(schema: dict[str, Any], cls: type) -> None:
    """Fill ``cls``'s JSON Schema from ``FIELD_DOCS`` and ``FIELD_EXAMPLES`` (pydantic's hook)."""
    docs = FIELD_DOCS.get(cls.__name__, {})
    examples = FIELD_EXAMPLES.get(cls.__name__, {})
    if "" in docs and "description" not in schema:
        schema["description"] = docs[""]
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        if name in docs:
            prop.setdefault("description", docs[name])
        if name in examples:
            prop.setdefault("examples", [examples[name]])
