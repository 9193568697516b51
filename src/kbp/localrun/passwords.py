"""The Redis password: generated once, kept in a 0600 file inside a 0700 directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from kbp.localrun.options import StatePaths


def write_private(path: Path, text: str) -> None:
    """Write `text` so it is never readable by others, not even for a moment (0600 from creation)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def ensure_password(paths: StatePaths) -> str:
    """Return the stack's password, creating it on first use; tightens permissions left loose."""
    paths.secrets.mkdir(parents=True, exist_ok=True)
    paths.secrets.chmod(0o700)
    if paths.password_file.exists():
        paths.password_file.chmod(0o600)
        return paths.password_file.read_text().strip()
    password = secrets.token_urlsafe(32)
    write_private(paths.password_file, password + "\n")
    return password


def read_password(paths: StatePaths) -> str:
    return paths.password_file.read_text().strip()
