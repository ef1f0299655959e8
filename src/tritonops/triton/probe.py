"""Which protocol answers at a host:port: Triton's HTTP/REST port, its gRPC port, or nothing.

Triton serves HTTP/1.1 on one port and gRPC (HTTP/2) on another. A client speaking the wrong one
gets a confusing transport error ("Socket closed"), so commands probe first and say which port
they reached. Two raw-socket probes, each bounded by ``timeout_s``:

- HTTP: ``GET /v2/health/live`` (KServe v2 protocol); an HTTP/1.x server answers a status line.
- gRPC: the HTTP/2 client connection preface (RFC 9113 §3.4); an HTTP/2 server answers with its
  own preface, a SETTINGS frame (frame type 0x4 in the fourth byte of the 9-byte frame header).
"""

from __future__ import annotations

import socket
from typing import Literal

Answer = Literal["http", "grpc", "closed", "unknown"]

_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
_EMPTY_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # length 0, type SETTINGS, stream 0
_SETTINGS = 0x4


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def _exchange(address: str, payload: bytes, timeout_s: float) -> bytes | None:
    """Send ``payload`` and return the first bytes back; ``None`` when nothing listens."""
    try:
        with socket.create_connection(_split(address), timeout=timeout_s) as sock:
            sock.sendall(payload)
            return sock.recv(64)
    except ConnectionRefusedError:
        return None
    except (TimeoutError, OSError):
        return b""


def probe(address: str, timeout_s: float = 2.0) -> Answer:
    """What answers at ``address`` (host:port): ``http``, ``grpc``, ``closed`` or ``unknown``."""
    try:
        _split(address)
    except ValueError:
        return "unknown"
    host = _split(address)[0]
    request = f"GET /v2/health/live HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    first = _exchange(address, request.encode(), timeout_s)
    if first is None:
        return "closed"
    if first.startswith(b"HTTP/1."):
        return "http"
    second = _exchange(address, _H2_PREFACE + _EMPTY_SETTINGS, timeout_s)
    if second is None:
        return "closed"
    if len(second) >= 4 and second[3] == _SETTINGS:
        return "grpc"
    return "unknown"
