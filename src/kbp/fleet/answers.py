"""The last good answer of each cluster, kept on disk so an unreachable one can still be shown,
with its age (never as live).

`$KBP_FLEET_CACHE`, else `$XDG_CACHE_HOME/kbp/fleet` (`~/.cache/kbp/fleet`): one directory per fleet
file, one JSON file per cluster, written 0600 and atomically. Answers hold names and versions only.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

CACHE_ENV = "KBP_FLEET_CACHE"


def cache_dir(fleet_file: Path) -> Path:
    root = os.environ.get(CACHE_ENV) or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbp" / "fleet"
    )
    digest = hashlib.sha256(str(fleet_file.absolute()).encode()).hexdigest()[:16]
    return Path(root) / digest


def save(directory: Path, cluster: str, answer: Mapping[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{cluster}.", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(answer), out, indent=1, default=str)
        os.replace(tmp, directory / f"{cluster}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(directory: Path, cluster: str) -> tuple[dict[str, Any], datetime] | None:
    """The cached answer and when it was observed, or None (never answered, or unreadable)."""
    try:
        doc = json.loads((directory / f"{cluster}.json").read_text(encoding="utf-8"))
        return doc, datetime.fromisoformat(doc["observedAt"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
