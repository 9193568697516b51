"""Image tags from a checkout's facts: format, version source, refusal of dirty trees."""

from __future__ import annotations

import re

import pytest

from kbp.lint.rulebook import DEFAULT_TAG_FORMAT
from kbp.release.tags import Checkout, DirtyTreeError, TagError, compute, project_version, semver_of

HEAD = "bfeda01f" + "0" * 32
TREE = "1a2b3c4d" + "f" * 32


def checkout(tag: str | None = None, version: str | None = "0.1.0", dirty: str | None = None) -> Checkout:
    return Checkout(head=HEAD, nearest_tag=tag, project_version=version, dirty_tree=dirty)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(checkout(tag="v1.0.1"), "v1.0.1-bfeda01f", id="nearest-tag-wins"),
        pytest.param(checkout(tag=None, version="0.3.0"), "v0.3.0-bfeda01f", id="project-version"),
        pytest.param(checkout(tag="v2.0.0-rc.1"), "v2.0.0-rc.1-bfeda01f", id="pre-release-tag"),
        pytest.param(Checkout(HEAD, "v3.1.4", None), "v3.1.4-bfeda01f", id="tag-without-project-version"),
    ],
)
def test_tag_is_semver_and_short_sha(facts: Checkout, expected: str) -> None:
    assert compute(facts).tag == expected


def test_every_tag_matches_the_release_format_kbp_lint_checks() -> None:
    fmt = re.compile(DEFAULT_TAG_FORMAT)
    for facts in (checkout(tag="v1.0.1"), checkout(tag="v2.0.0-rc.1", dirty=TREE), checkout(dirty=TREE)):
        assert fmt.match(compute(facts, allow_dirty=True).tag)


def test_dirty_tree_is_refused_without_allow_dirty() -> None:
    with pytest.raises(DirtyTreeError, match="--allow-dirty"):
        compute(checkout(dirty=TREE))


def test_allow_dirty_names_the_tree_not_just_the_commit() -> None:
    result = compute(checkout(dirty=TREE), allow_dirty=True)
    assert result.tag == "v0.1.0-dirty.1a2b3c4d-bfeda01f"
    assert result.dirty
    other = compute(checkout(dirty="9" * 40), allow_dirty=True)
    assert other.tag != result.tag, "two different dirty trees must not share a tag"


def test_allow_dirty_extends_an_existing_pre_release() -> None:
    assert compute(checkout(tag="v2.0.0-rc.1", dirty=TREE), allow_dirty=True).tag == (
        "v2.0.0-rc.1.dirty.1a2b3c4d-bfeda01f"
    )


@pytest.mark.parametrize(
    "tag",
    [
        pytest.param("v1.2", id="two-parts"),
        pytest.param("1.2.3", id="no-v"),
        pytest.param("v01.2.3", id="leading-zero"),
        pytest.param("v1.2.3+build.5", id="build-metadata"),
        pytest.param("vnext", id="word"),
    ],
)
def test_a_tag_that_is_not_v_semver_is_named(tag: str) -> None:
    with pytest.raises(TagError, match=re.escape(repr(tag))):
        semver_of(tag)


def test_project_version_must_be_semver() -> None:
    with pytest.raises(TagError, match=r"pyproject.toml: version '0.1.0.dev1' is not a semver"):
        compute(checkout(version="0.1.0.dev1"))


def test_no_tag_and_no_version_is_an_error() -> None:
    with pytest.raises(TagError, match="no v\\* tag"):
        compute(checkout(version=None))


def test_head_must_be_a_full_hash() -> None:
    with pytest.raises(TagError, match="HEAD"):
        compute(Checkout("bfeda01f", "v1.0.0", None))


def test_project_version_reads_pyproject() -> None:
    assert project_version('[project]\nname = "x"\nversion = "1.4.2"\n') == "1.4.2"
    assert project_version('[project]\nname = "x"\ndynamic = ["version"]\n') is None
    with pytest.raises(TagError, match=r"pyproject.toml"):
        project_version("[project\n")
