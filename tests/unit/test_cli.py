"""The command line is assembled from every command group and stays importable."""

from __future__ import annotations

import subprocess
import sys


def test_help_lists_every_command_group() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kbp", "--help"], capture_output=True, text=True, check=True, timeout=60
    )
    for command in ("up", "down", "status", "lint", "cluster", "image"):
        assert command in result.stdout, f"{command!r} missing from kbp --help"
