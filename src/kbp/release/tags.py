"""Immutable image tags, `v<semver>-<sha8>`, from what git says about a checkout (pure).

The semver is the nearest `v*` tag's, else the project version in pyproject.toml; the sha is the
first 8 hex digits of HEAD (a fixed length, so every clone computes the same tag for a commit, where
`git rev-parse --short` may lengthen it in a clone with more objects).

A dirty tree has no commit that names its contents, and `v1.0.0-abcdef01-dirty` would name every dirty
build of that commit at once, so it is not an immutable tag. With `allow_dirty` the tag carries the
hash of the working tree instead: `v1.0.0-dirty.1a2b3c4d-abcdef01` names exactly those files (two
checkouts with the same edits get the same tag; any other edit, another tag). The marker sits in the
semver pre-release, so the tag still matches the release format `kbp lint` checks and sorts below
the clean release.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

SHA_LENGTH = 8
# semver.org's grammar, without build metadata: `+` is not allowed in an image tag.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$"
)
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")  # SHA-1 or SHA-256 object names


class TagError(ValueError):
    """The checkout cannot give an immutable tag; the message says why and what is expected."""


class DirtyTreeError(TagError):
    """The working tree differs from HEAD and dirty builds were not allowed."""


@dataclass(frozen=True)
class Checkout:
    """What git reports about a checkout: all `compute` needs."""

    head: str  # full object name of HEAD
    nearest_tag: str | None  # `git describe --tags --abbrev=0 --match 'v[0-9]*'`, None without one
    project_version: str | None  # [project].version from pyproject.toml
    dirty_tree: str | None = None  # the working tree's tree hash when it differs from HEAD, else None


@dataclass(frozen=True)
class ImageTag:
    tag: str
    version: str
    commit: str
    source: str  # "tag v1.2.3" or "pyproject.toml"
    dirty: bool


def semver_of(tag: str) -> str:
    """`v1.2.3` -> `1.2.3`; TagError naming the tag unless it is `v` plus a semver without build metadata."""
    version = tag[1:] if tag.startswith("v") else ""
    if not _SEMVER.match(version):
        raise TagError(f"git tag {tag!r} is not v<semver> (examples: v1.2.3, v2.0.0-rc.1)")
    return version


def project_version(pyproject: str) -> str | None:
    """[project].version from pyproject.toml text, or None when it has none (a dynamic version)."""
    try:
        data = tomllib.loads(pyproject)
    except tomllib.TOMLDecodeError as err:
        raise TagError(f"pyproject.toml: {err}") from err
    version = data.get("project", {}).get("version")
    return str(version) if version is not None else None


def compute(checkout: Checkout, *, allow_dirty: bool = False) -> ImageTag:
    """The tag for a checkout; TagError when it has none, DirtyTreeError for a refused dirty tree."""
    if not _SHA.match(checkout.head):
        raise TagError(f"HEAD {checkout.head!r} is not a full commit hash")
    if checkout.nearest_tag is not None:
        version, source = semver_of(checkout.nearest_tag), f"tag {checkout.nearest_tag}"
    elif checkout.project_version is not None:
        version, source = checkout.project_version, "pyproject.toml"
        if not _SEMVER.match(version):
            raise TagError(f"pyproject.toml: version {version!r} is not a semver (example: 1.2.3)")
    else:
        raise TagError("no v* tag reachable from HEAD and no [project].version in pyproject.toml")
    if checkout.dirty_tree is not None:
        if not allow_dirty:
            raise DirtyTreeError(
                "the working tree has uncommitted changes; commit them, or pass --allow-dirty for a "
                "tag that names this exact tree"
            )
        marker = f"dirty.{checkout.dirty_tree[:SHA_LENGTH]}"
        version = f"{version}.{marker}" if "-" in version else f"{version}-{marker}"
    tag = f"v{version}-{checkout.head[:SHA_LENGTH]}"
    return ImageTag(tag, version, checkout.head, source, checkout.dirty_tree is not None)
