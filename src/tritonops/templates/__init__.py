"""Jinja templates for config.pbtxt, shipped as package data (one per model kind, plus partials)."""
