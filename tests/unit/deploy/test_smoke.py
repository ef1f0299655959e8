"""Smoke inference decisions that need no server."""

from __future__ import annotations

import pytest

from tritonops.deploy.smoke import SmokeNotPossible, smoke_infer
from tritonops.model_config import from_proto, parse_text

DECOUPLED = """name: "talk" backend: "python" max_batch_size: 0
model_transaction_policy { decoupled: true }
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]
"""


def test_decoupled_model_is_not_smoked_with_one_request() -> None:
    config = from_proto(parse_text(DECOUPLED))

    # the address is never contacted: the decision comes from the config alone
    with pytest.raises(SmokeNotPossible, match="decoupled"):
        smoke_infer("127.0.0.1:1", config)
