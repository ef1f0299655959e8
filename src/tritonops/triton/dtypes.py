"""The one numpy <-> Triton datatype map.

Triton's inference API names tensor types ``BOOL``, ``UINT8``..``UINT64``, ``INT8``..``INT64``,
``FP16``, ``FP32``, ``FP64``, ``BF16`` and ``BYTES`` (KServe v2 protocol, "Tensor Data Types" in
triton-inference-server/server docs/protocol/extension_... and kserve's required_api.md; the same
names ``model_config.proto`` spells ``TYPE_FP32``...). tritonclient's ``np_to_triton_dtype`` and
``triton_to_np_dtype`` hold the mapping; both walk a chain of ifs, so the answers are cached here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tritonclient.utils import np_to_triton_dtype, triton_to_np_dtype

from tritonops.errors import ClientError

# numpy dtype -> the inference API's datatype name
_DATATYPES: dict[np.dtype[Any], str] = {}
# API datatype -> numpy dtype, for fixed-width types (BYTES and BF16 have no numpy twin to read
# a buffer with: BYTES is length-prefixed, numpy has no bfloat16)
NUMPY_DTYPES: dict[str, np.dtype[Any]] = {}
_NO_NUMPY = frozenset({"BYTES", "BF16"})


def datatype(dtype: np.dtype[Any]) -> str:
    """The Triton datatype name for a numpy dtype (``float32`` -> ``FP32``, object -> ``BYTES``)."""
    found = _DATATYPES.get(dtype)
    if found is None:
        found = np_to_triton_dtype(dtype)
        if found is None:
            raise ClientError(
                f"numpy dtype {dtype} has no Triton datatype — send bool, int, uint, float16/32/64"
                " or bytes/str (object) arrays"
            )
        if len(_DATATYPES) < 256:  # bounded: structured dtypes are endless
            _DATATYPES[dtype] = found
    return found


def numpy_dtype(name: str) -> np.dtype[Any] | None:
    """The numpy dtype a fixed-width Triton datatype reads as; None for BYTES, BF16 or unknown."""
    found = NUMPY_DTYPES.get(name)
    if found is None and name not in _NO_NUMPY:
        raw = triton_to_np_dtype(name)
        if raw is None:
            return None
        found = NUMPY_DTYPES[name] = np.dtype(raw)
    return found
