"""The git calls `kbp image tag` needs, each a thin subprocess run that returns plain values."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kbp.release.tags import Checkout, TagError, project_version


class GitError(TagError):
    """git is missing, the path is no checkout, or a git command failed."""


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise GitError("git not found on PATH")
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {}), "LC_ALL": "C"},
        timeout=60,
    )


def _out(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = _git(repo, *args, env=env)
    if result.returncode != 0:
        raise GitError(f"git {' '.join(args)} in {repo}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def toplevel(repo: Path) -> Path:
    """The root of the checkout `repo` is in."""
    return Path(_out(repo, "rev-parse", "--show-toplevel"))


def read_checkout(repo: Path) -> Checkout:
    """HEAD, the nearest v* tag, pyproject's version and, if dirty, the working tree's hash."""
    top = toplevel(repo)
    head = _out(top, "rev-parse", "--verify", "HEAD^{commit}")
    described = _git(top, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", "HEAD")
    # describe exits 128 when no tag matches: that is "no tag", not a failure.
    nearest = described.stdout.strip() if described.returncode == 0 else None
    pyproject = top / "pyproject.toml"
    version = project_version(pyproject.read_text(encoding="utf-8")) if pyproject.is_file() else None
    return Checkout(head, nearest, version, _dirty_tree(top))


def _dirty_tree(top: Path) -> str | None:
    """None when the tree matches HEAD; else the tree hash of every tracked and unignored file."""
    if not _out(top, "status", "--porcelain", "--untracked-files=normal"):
        return None
    # A scratch index, so the user's staging area is left as it was.
    with tempfile.TemporaryDirectory(prefix="kbp-tag-") as scratch:
        index = str(Path(scratch) / "index")
        env = {"GIT_INDEX_FILE": index}
        _out(top, "read-tree", "HEAD", env=env)
        _out(top, "add", "--all", ".", env=env)
        return _out(top, "write-tree", env=env)
