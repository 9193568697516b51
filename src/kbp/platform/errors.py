"""The exception tree of kbp.platform (drawn in the package docstring)."""

from __future__ import annotations


class PlatformError(Exception):
    """Anything kbp.platform raises."""


class PinError(PlatformError):
    """The services file is unreadable, malformed, or a release is not pinned to one version."""


class ToolError(PlatformError):
    """helmfile or helm is missing, or it failed."""
