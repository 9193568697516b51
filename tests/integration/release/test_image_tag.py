"""`kbp image tag` on real temporary git repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SHA_LENGTH = 8


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.strip()


def kbp_tag(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kbp", "image", "tag", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with pyproject.toml (version 0.4.0) and one commit."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.4.0"\n')
    (root / ".gitignore").write_text("build/\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    return root


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")[:SHA_LENGTH]


def test_without_tags_the_project_version_is_used(repo: Path) -> None:
    result = kbp_tag(repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"v0.4.0-{head(repo)}\n"


def test_the_nearest_v_tag_wins_over_the_project_version(repo: Path) -> None:
    git(repo, "tag", "v1.2.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    git(repo, "tag", "not-a-release")
    git(repo, "commit", "-q", "--allow-empty", "-m", "third")
    result = kbp_tag(repo)
    assert result.stdout == f"v1.2.0-{head(repo)}\n", result.stderr


def test_an_annotated_tag_counts_too(repo: Path) -> None:
    git(repo, "tag", "-a", "v2.0.0-rc.1", "-m", "release candidate")
    assert kbp_tag(repo).stdout == f"v2.0.0-rc.1-{head(repo)}\n"


def test_a_malformed_v_tag_is_refused_by_name(repo: Path) -> None:
    git(repo, "tag", "v1.2")
    result = kbp_tag(repo)
    assert result.returncode == 2
    assert "'v1.2' is not v<semver>" in result.stderr
    assert result.stdout == ""


def test_a_dirty_tree_is_refused_and_nothing_is_printed(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "0.4.0"\n# edited\n')
    result = kbp_tag(repo)
    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
    assert "--allow-dirty" in result.stderr
    assert result.stdout == ""


def test_an_untracked_file_makes_the_tree_dirty_but_an_ignored_one_does_not(repo: Path) -> None:
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("artifact")
    assert kbp_tag(repo).returncode == 0
    (repo / "new.py").write_text("print('new')\n")
    assert kbp_tag(repo).returncode == 1


def test_allow_dirty_tags_the_exact_tree_and_leaves_the_index_alone(repo: Path) -> None:
    (repo / "app.py").write_text("x = 1\n")
    git(repo, "add", "app.py")
    (repo / "notes.txt").write_text("draft\n")
    staged_before = git(repo, "diff", "--cached", "--name-only")

    first = kbp_tag(repo, "--allow-dirty", "-o", "json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["dirty"] is True
    assert doc["tag"].startswith("v0.4.0-dirty.")
    assert doc["tag"].endswith(f"-{head(repo)}")
    assert "warning" in first.stderr
    assert kbp_tag(repo, "--allow-dirty").stdout.strip() == doc["tag"], "same tree, same tag"
    assert git(repo, "diff", "--cached", "--name-only") == staged_before, "the user's index must not change"

    (repo / "notes.txt").write_text("draft two\n")
    assert kbp_tag(repo, "--allow-dirty").stdout.strip() != doc["tag"], "another tree, another tag"


def test_a_path_outside_any_checkout_is_bad_input(tmp_path: Path) -> None:
    result = kbp_tag(tmp_path)
    assert result.returncode == 2
    assert "error:" in result.stderr
