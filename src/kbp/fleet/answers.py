"""The last good answer of each cluster, kept on disk so an unreachable one can still be shown,
with its age (never as live).

`$KBP_FLEET_CACHE`, else `$XDG_CACHE_HOME/kbp/fleet` (`~/.cache/kbp/fleet`): a directory per fleet
file, and in it one JSON file per cluster holding only its newest answer. The cache is bounded:
a save drops the files of clusters no longer in the fleet file and what a killed writer left,
and only the `MAX_FLEETS` fleet files saved to last keep a directory. Directories are 0700
(tightened when found looser), files 0600 and written atomically; answers hold names and
versions only. Saves take a lock, so of two runs at once the newer answer is the one kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

CACHE_ENV = "KBP_FLEET_CACHE"
MAX_FLEETS = 16
_FLEET_DIR = re.compile(r"^[0-9a-f]{16}$")  # cache_dir's names: only these are ever removed
_LOCK = ".lock"


def cache_dir(fleet_file: Path) -> Path:
    root = os.environ.get(CACHE_ENV) or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbp" / "fleet"
    )
    digest = hashlib.sha256(str(fleet_file.absolute()).encode()).hexdigest()[:16]
    return Path(root) / digest


def save(directory: Path, cluster: str, answer: Mapping[str, Any], *, fleet: Collection[str]) -> None:
    """Keep `answer` as the cluster's last good one, unless a newer one is kept already; `fleet`
    names every cluster of the fleet file (the files of all others are removed)."""
    directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.mkdir(exist_ok=True, mode=0o700)
    if directory.stat().st_mode & 0o077:
        directory.chmod(0o700)
    with _locked(directory):
        kept = load(directory, cluster)
        if kept is None or kept[1] <= datetime.fromisoformat(str(answer["observedAt"])):
            _write(directory / f"{cluster}.json", answer)
        for path in directory.iterdir():
            # Under the lock a temporary file is one a killed writer left.
            if path.suffix == ".json" and (path.name.startswith(".") or path.stem not in fleet):
                path.unlink(missing_ok=True)
    _prune_fleets(directory.parent)


def load(directory: Path, cluster: str) -> tuple[dict[str, Any], datetime] | None:
    """The cached answer and when it was observed, or None (never answered, or unreadable)."""
    try:
        doc = json.loads((directory / f"{cluster}.json").read_text(encoding="utf-8"))
        return doc, datetime.fromisoformat(doc["observedAt"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(path: Path, answer: Mapping[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".json")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(answer), out, indent=1, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune_fleets(root: Path) -> None:
    """Remove all but the MAX_FLEETS fleet directories saved to last (a save touches its own)."""
    found = []
    for path in root.iterdir():
        with contextlib.suppress(OSError):
            if _FLEET_DIR.match(path.name) and path.is_dir():
                found.append((path.stat().st_mtime, path))
    for _, old in sorted(found, reverse=True)[MAX_FLEETS:]:
        with contextlib.suppress(OSError):  # another run may be removing it too
            for path in old.iterdir():
                if path.suffix == ".json" or path.name == _LOCK:
                    path.unlink(missing_ok=True)
            old.rmdir()
