"""tritonclient request objects built from numpy arrays: the one place ``InferInput`` is made."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
import tritonclient.http.aio as httpaio
from numpy.typing import NDArray

from tritonops.triton.dtypes import datatype

# which tritonclient flavour the objects are for: HTTP, asyncio HTTP or gRPC
Flavour = Literal["http", "aio", "grpc"]
_MODULES: dict[str, Any] = {"http": httpclient, "aio": httpaio, "grpc": grpcclient}


def infer_inputs(
    flavour: Flavour,
    arrays: Mapping[str, NDArray[Any]],
    datatypes: Mapping[str, str] | None = None,
) -> list[Any]:
    """One ``InferInput`` per array, its datatype from the array (or ``datatypes[name]``).

    HTTP tensors always travel binary: JSON float outputs are slow, and wrong for some models
    on 2.51; gRPC has only one encoding.
    """
    module = _MODULES[flavour]
    items = []
    for name, array in arrays.items():
        kind = datatypes[name] if datatypes and name in datatypes else datatype(array.dtype)
        item = module.InferInput(name, list(array.shape), kind)
        if flavour == "grpc":
            item.set_data_from_numpy(array)
        else:
            item.set_data_from_numpy(array, binary_data=True)
        items.append(item)
    return items


def requested_outputs(flavour: Flavour, names: Iterable[str] | None) -> list[Any] | None:
    """``InferRequestedOutput`` per name; None (every output) when ``names`` is None or empty."""
    if not names:
        return None
    module = _MODULES[flavour]
    if flavour == "grpc":
        return [module.InferRequestedOutput(n) for n in names]
    return [module.InferRequestedOutput(n, binary_data=True) for n in names]
