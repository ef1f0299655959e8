"""Enums of model_config.proto; every value is Triton's own string (``TYPE_FP32``, ``KIND_CPU``).

``_missing_`` hooks accept the spellings people write in project files (``fp32``, ``float32``,
``cpu``) so the project file can be friendly while the mirror keeps Triton's names.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import numpy as np
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class _TritonEnum(str, Enum):
    """A str enum that matches case-insensitively and with or without its Triton prefix."""

    @classmethod
    def _prefix(cls) -> str:
        return ""

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {}

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        key = value.strip().upper()
        key = cls._aliases().get(key.lower(), key)
        for candidate in (key, cls._prefix() + key):
            if candidate in cls.__members__:
                return cls.__members__[candidate]
        return None

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def spellings(cls) -> list[str]:
        """Every word ``_missing_`` accepts (any letter case): names, names without prefix,
        aliases."""
        words = dict.fromkeys(cls.__members__)
        prefix = cls._prefix()
        if prefix:
            words.update(dict.fromkeys(n.removeprefix(prefix) for n in cls.__members__))
        words.update(dict.fromkeys(a.upper() for a in cls._aliases()))
        return list(words)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Editors complete from ``enum``; the pattern accepts what ``_missing_`` accepts (any
        # case, with or without the prefix, the aliases), so a valid file never fails the schema.
        words = cls.spellings()
        shorthands = [w.lower() for w in words if w not in cls.__members__]
        insensitive = "|".join(
            "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)
            for word in words
        )
        return {
            "title": cls.__name__,
            "anyOf": [
                {"type": "string", "enum": [*cls.__members__, *shorthands]},
                {"type": "string", "pattern": rf"^\s*(?:{insensitive})\s*$"},
            ],
        }


class DataType(_TritonEnum):
    TYPE_INVALID = "TYPE_INVALID"
    TYPE_BOOL = "TYPE_BOOL"
    TYPE_UINT8 = "TYPE_UINT8"
    TYPE_UINT16 = "TYPE_UINT16"
    TYPE_UINT32 = "TYPE_UINT32"
    TYPE_UINT64 = "TYPE_UINT64"
    TYPE_INT8 = "TYPE_INT8"
    TYPE_INT16 = "TYPE_INT16"
    TYPE_INT32 = "TYPE_INT32"
    TYPE_INT64 = "TYPE_INT64"
    TYPE_FP16 = "TYPE_FP16"
    TYPE_FP32 = "TYPE_FP32"
    TYPE_FP64 = "TYPE_FP64"
    TYPE_STRING = "TYPE_STRING"
    TYPE_BF16 = "TYPE_BF16"

    @classmethod
    def _prefix(cls) -> str:
        return "TYPE_"

    @classmethod
    def _aliases(cls) -> dict[str, str]:
        return {
            "float16": "FP16",
            "half": "FP16",
            "float32": "FP32",
            "float": "FP32",
            "float64": "FP64",
            "double": "FP64",
            "bytes": "STRING",
            "str": "STRING",
            "object": "STRING",
            "bfloat16": "BF16",
        }

    @property
    def api_name(self) -> str:
        """The name the inference API (and tritonclient) uses: ``FP32``, ``BYTES``."""
        return "BYTES" if self is DataType.TYPE_STRING else self.value.removeprefix("TYPE_")

    @property
    def numpy(self) -> np.dtype[Any] | None:
        """The numpy dtype carrying this type, or None where numpy has none (BF16, INVALID)."""
        return _NUMPY.get(self)

    @classmethod
    def from_numpy(cls, dtype: np.dtype[Any] | type) -> DataType:
        dt = np.dtype(dtype)
        if dt.kind in ("O", "S", "U"):
            return cls.TYPE_STRING
        for member, candidate in _NUMPY.items():
            if candidate == dt and member is not cls.TYPE_STRING:
                return member
        raise ValueError(f"numpy dtype {dt} has no Triton data type")


_NUMPY: dict[DataType, np.dtype[Any]] = {
    DataType.TYPE_BOOL: np.dtype(np.bool_),
    DataType.TYPE_UINT8: np.dtype(np.uint8),
    DataType.TYPE_UINT16: np.dtype(np.uint16),
    DataType.TYPE_UINT32: np.dtype(np.uint32),
    DataType.TYPE_UINT64: np.dtype(np.uint64),
    DataType.TYPE_INT8: np.dtype(np.int8),
    DataType.TYPE_INT16: np.dtype(np.int16),
    DataType.TYPE_INT32: np.dtype(np.int32),
    DataType.TYPE_INT64: np.dtype(np.int64),
    DataType.TYPE_FP16: np.dtype(np.float16),
    DataType.TYPE_FP32: np.dtype(np.float32),
    DataType.TYPE_FP64: np.dtype(np.float64),
    DataType.TYPE_STRING: np.dtype(np.object_),
}


class InstanceKind(_TritonEnum):
    KIND_AUTO = "KIND_AUTO"
    KIND_GPU = "KIND_GPU"
    KIND_CPU = "KIND_CPU"
    KIND_MODEL = "KIND_MODEL"

    @classmethod
    def _prefix(cls) -> str:
        return "KIND_"


class TensorFormat(_TritonEnum):
    FORMAT_NONE = "FORMAT_NONE"
    FORMAT_NHWC = "FORMAT_NHWC"
    FORMAT_NCHW = "FORMAT_NCHW"

    @classmethod
    def _prefix(cls) -> str:
        return "FORMAT_"


class BatchInputKind(_TritonEnum):
    BATCH_ELEMENT_COUNT = "BATCH_ELEMENT_COUNT"
    BATCH_ACCUMULATED_ELEMENT_COUNT = "BATCH_ACCUMULATED_ELEMENT_COUNT"
    BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO = "BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO"
    BATCH_MAX_ELEMENT_COUNT_AS_SHAPE = "BATCH_MAX_ELEMENT_COUNT_AS_SHAPE"
    BATCH_ITEM_SHAPE = "BATCH_ITEM_SHAPE"
    BATCH_ITEM_SHAPE_FLATTEN = "BATCH_ITEM_SHAPE_FLATTEN"

    @classmethod
    def _prefix(cls) -> str:
        return "BATCH_"


class BatchOutputKind(_TritonEnum):
    BATCH_SCATTER_WITH_INPUT_SHAPE = "BATCH_SCATTER_WITH_INPUT_SHAPE"

    @classmethod
    def _prefix(cls) -> str:
        return "BATCH_"


class TimeoutAction(_TritonEnum):
    REJECT = "REJECT"
    DELAY = "DELAY"


class ModelPriority(_TritonEnum):
    PRIORITY_DEFAULT = "PRIORITY_DEFAULT"
    PRIORITY_MAX = "PRIORITY_MAX"
    PRIORITY_MIN = "PRIORITY_MIN"

    @classmethod
    def _prefix(cls) -> str:
        return "PRIORITY_"


class ControlKind(_TritonEnum):
    CONTROL_SEQUENCE_START = "CONTROL_SEQUENCE_START"
    CONTROL_SEQUENCE_READY = "CONTROL_SEQUENCE_READY"
    CONTROL_SEQUENCE_END = "CONTROL_SEQUENCE_END"
    CONTROL_SEQUENCE_CORRID = "CONTROL_SEQUENCE_CORRID"

    @classmethod
    def _prefix(cls) -> str:
        return "CONTROL_SEQUENCE_"
