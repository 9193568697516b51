"""The local-run exception tree (drawn in the package docstring)."""

from __future__ import annotations


class LocalRunError(Exception):
    """Base of every error the local stack raises."""


class BadOptionsError(LocalRunError):
    """The options cannot describe a working stack."""


class MissingBinaryError(LocalRunError):
    """A required server binary is not installed."""


class PortBusyError(LocalRunError):
    """A port the stack needs is already bound by something else."""


class NotReadyError(LocalRunError):
    """The stack did not reach readiness in time, or a process died while starting."""


class NotRunningError(LocalRunError):
    """No supervisord is running for the state directory."""
