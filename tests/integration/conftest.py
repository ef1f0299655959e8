"""Integration tests start real tritonservers on free loopback ports.

The tier's shared fixtures (server available, one backend cache) live in tests/conftest.py.
"""
