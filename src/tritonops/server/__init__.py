"""The embedded tritonserver: find it, prepare its backends, start, load, stop."""

from tritonops.server.binary import TritonInstall, find_tritonserver
from tritonops.server.local import LocalTriton, ServerOptions

__all__ = ["LocalTriton", "ServerOptions", "TritonInstall", "find_tritonserver"]
