"""Config field paths for the parts of an ensemble an issue points at."""

from __future__ import annotations


def step(index: int) -> str:
    return f"ensemble_scheduling.step[{index}]"


def step_field(index: int, name: str) -> str:
    return f"{step(index)}.{name}"


def step_map(index: int, field: str, key: str) -> str:
    escaped = key.replace('"', '\\"')
    return f'{step(index)}.{field}["{escaped}"]'


def tensor(kind: str, index: int) -> str:
    """``kind`` is ``input`` or ``output``."""
    return f"{kind}[{index}]"
