"""The archive cache: what a build keeps of an image's earlier archives."""

from __future__ import annotations

import os
from pathlib import Path

from kbp.images import build


def test_a_build_keeps_the_newest_archives_so_two_checkouts_do_not_evict_each_other(tmp_path: Path) -> None:
    archives = []
    for age, key in enumerate(["a", "b", "c", "d"]):
        path = tmp_path / f"kbp-{key}.tar"
        path.write_bytes(b"")
        os.utime(path, (1000 - age, 1000 - age))  # a is the newest
        archives.append(path)
    current = tmp_path / "kbp-new.tar"
    assert build.stale_archives(current, [current, *archives], keep=3) == archives[2:]
    assert build.stale_archives(current, [current], keep=3) == []
