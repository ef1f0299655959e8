"""docs/sdk.md runs as written: its Python blocks, in order, against one real tritonserver."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tritonops.server import LocalTriton

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "sdk.md"
# the addresses the guide writes; the test's server listens on free ports instead
GRPC, HTTP = "localhost:8001", "localhost:8000"


def guide_blocks() -> list[str]:
    return re.findall(
        r"^```python\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), flags=re.S | re.M
    )


@pytest.fixture
def server(catalogue_server: LocalTriton) -> LocalTriton:
    """The guide's models (add_one, add_one_v2, matmul) are the catalogue's."""
    return catalogue_server


def test_the_guide_has_examples_for_every_part() -> None:
    text = "\n".join(guide_blocks())
    for name in ("Client(", "AsyncClient(", "Router(", "set_weights", "key=", "Rule(", "shadow=",
                 "fallback=False", "CircuitSettings(", "InputError", "UnavailableError",
                 "from_experiment", "AsyncRouter(", "MockTransport("):  # fmt: skip
        assert name in text, name


def test_the_guide_runs(server: LocalTriton, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "sdk_guide"}
    for index, block in enumerate(guide_blocks()):
        code = block.replace(GRPC, server.grpc_url).replace(HTTP, server.http_url)
        try:
            exec(compile(code, f"docs/sdk.md block {index + 1}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"docs/sdk.md block {index + 1} failed:\n{block}") from exc
    printed = capsys.readouterr().out
    assert "unreachable:" in printed
