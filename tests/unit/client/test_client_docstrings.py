"""The SDK's public surface explains itself: every exported class and function has a real
docstring, and so does every public method of the classes users call directly."""

from __future__ import annotations

import inspect

import pytest

import tritonops.client as sdk
from tritonops.client import AsyncClient, AsyncRouter, AsyncTransport, Client, Router, Transport

# what a docstring must at least hold to say more than the name does
MIN_CHARS = 40


def _own_doc(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    name = getattr(obj, "__name__", "")
    # a dataclass without a docstring gets its signature as __doc__; that explains nothing
    return "" if name and doc.startswith(f"{name}(") else doc


@pytest.mark.parametrize("name", sdk.__all__)
def test_every_export_has_a_docstring(name: str) -> None:
    assert len(_own_doc(getattr(sdk, name))) >= MIN_CHARS, f"tritonops.client.{name}"


@pytest.mark.parametrize(
    "cls", [Client, AsyncClient, Router, AsyncRouter, Transport, AsyncTransport]
)
def test_public_methods_of_the_main_classes_have_docstrings(cls: type) -> None:
    missing = []
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        if not callable(target) and not isinstance(member, property):
            continue
        if not (inspect.getdoc(target) or "").strip():
            missing.append(name)
    assert not missing, f"{cls.__name__}: {missing}"
