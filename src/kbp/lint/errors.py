"""The lint exception tree.

LintError                 anything lint refuses; the CLI exits 2
├── InputError            a file or stream that cannot be read as manifests (has file:line:col)
├── ConfigError           a bad --config file or option
└── HelmError             helm missing or `helm template` failing
"""

from __future__ import annotations


class LintError(Exception):
    """Base of every error lint reports as a usage or input problem (exit 2)."""


class InputError(LintError):
    """An input that is not readable as Kubernetes manifests; knows where."""

    def __init__(self, source: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{source}:{line}:{column}: {message}")
        self.source = source
        self.line = line
        self.column = column
        self.message = message


class ConfigError(LintError):
    """A configuration file or option that does not validate."""


class HelmError(LintError):
    """Helm is missing or failed to render the chart."""
