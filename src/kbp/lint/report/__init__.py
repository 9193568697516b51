"""Renderers: each module turns a Result into one output format (a string for stdout)."""

from __future__ import annotations

import importlib

FORMATS = ("text", "json", "sarif", "junit")


def render(result: object, fmt: str) -> str:
    """Import only the renderer asked for (startup time matters for a CI linter)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (expected: {', '.join(FORMATS)})")
    module = importlib.import_module(f"kbp.lint.report.{fmt}_report")
    text: str = module.render(result)
    return text
