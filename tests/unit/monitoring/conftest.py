"""promtool for the rules' checks: skipped where Prometheus is not installed, unless
TRITONOPS_REQUIRE_PROMETHEUS=1 (CI, after scripts/bootstrap installed it) makes that a failure."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tritonops.errors import MonitoringError
from tritonops.monitoring import find_promtool


@pytest.fixture
def promtool() -> Path:
    try:
        return find_promtool()
    except MonitoringError as exc:
        if os.environ.get("TRITONOPS_REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"TRITONOPS_REQUIRE_PROMETHEUS=1 but {exc}")
        pytest.skip(str(exc))
