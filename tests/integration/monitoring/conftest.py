"""The folder's models are served by the session's ``catalogue_server``."""

from __future__ import annotations

import pytest

from tritonops.server import LocalTriton


@pytest.fixture
def triton(catalogue_server: LocalTriton) -> LocalTriton:
    return catalogue_server
