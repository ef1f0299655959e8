"""Request headers given on the command line or in the project file: checked once, sent right.

- A header name is an RFC 9110 §5.1 ``token``; a value may not hold CR, LF or NUL (§5.5: a
  recipient must reject or replace them) — a value with a line break would otherwise split the
  request, and tritonclient raises a bare traceback on it.
- gRPC metadata keys must be lower case (gRPC's PROTOCOL-HTTP2.md: ``Custom-Metadata`` keys are
  ``1*( %x30-39 / %x61-7A / "_" / "-" / ".")``, and grpcio rejects others with "Invalid
  metadata"); HTTP/2 carries header names in lower case anyway (RFC 9113 §8.2.1), so lowering
  them changes nothing a server sees. The client SDK and the deploy path both send metadata
  through ``grpc_metadata``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

_TOKEN = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
_FORBIDDEN_IN_VALUE = ("\r", "\n", "\0")


def header_problem(name: str, value: str) -> str | None:
    """Why ``name: value`` cannot be sent, naming the header but never showing its value."""
    if not name or any(c not in _TOKEN for c in name):
        return (
            f"header name {name!r} is not a valid HTTP field name — use letters, digits and "
            "'-' (e.g. Authorization)"
        )
    if any(c in value for c in _FORBIDDEN_IN_VALUE):
        return (
            f"the value of header {name!r} contains a line break or NUL character — remove it "
            "(a token pasted from a file often ends in a newline)"
        )
    return None


def grpc_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` as gRPC metadata: the same values under lower-case keys."""
    return {name.lower(): value for name, value in headers.items()}
