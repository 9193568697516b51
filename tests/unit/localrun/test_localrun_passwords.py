"""The Redis password file: created once, 0600 inside a 0700 directory, reused afterwards."""

from __future__ import annotations

import stat
from pathlib import Path

from kbp.localrun.options import StatePaths
from kbp.localrun.passwords import ensure_password, write_private


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_password_is_generated_once_with_private_modes(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path)
    first = ensure_password(paths)
    assert len(first) >= 32
    assert mode(paths.secrets) == 0o700
    assert mode(paths.password_file) == 0o600
    assert ensure_password(paths) == first


def test_loose_modes_are_tightened(tmp_path: Path) -> None:
    paths = StatePaths(tmp_path)
    ensure_password(paths)
    paths.secrets.chmod(0o755)
    paths.password_file.chmod(0o644)
    ensure_password(paths)
    assert mode(paths.secrets) == 0o700
    assert mode(paths.password_file) == 0o600


def test_write_private_replaces_a_file_and_keeps_it_0600(tmp_path: Path) -> None:
    target = tmp_path / "auth.conf"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, "new")
    assert target.read_text() == "new"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["auth.conf"]
