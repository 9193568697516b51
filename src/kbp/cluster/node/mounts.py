"""Mounts a node left in this mount namespace: found under its directories, and lazily unmounted."""

from __future__ import annotations

import subprocess
from pathlib import Path


def under(*roots: Path) -> list[str]:
    """Mount points in this mount namespace at or below any of `roots` (deepest first)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(r) or point.startswith(f"{r}/") for r in roots):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all(*roots: Path) -> list[str]:
    """Unmount (lazily) every mount at or below `roots`; return the errors."""
    errors = []
    for point in under(*roots):
        result = subprocess.run(["umount", "-l", point], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            errors.append(f"umount {point}: {result.stderr.strip()}")
    return errors
