"""The image reference parser against the distribution/reference grammar."""

from __future__ import annotations

import pytest

from kbp.lint import images

SHA = "sha256:" + "0f1b2c3d" * 8


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "digest"),
    [
        pytest.param("nginx", "docker.io/library/nginx", None, None, id="official-short"),
        pytest.param("nginx:1.27.3", "docker.io/library/nginx", "1.27.3", None, id="official-tag"),
        pytest.param("bitnami/redis:7.4", "docker.io/bitnami/redis", "7.4", None, id="user-repo"),
        pytest.param("docker.io/library/redis", "docker.io/library/redis", None, None, id="explicit-hub"),
        pytest.param("index.docker.io/redis", "docker.io/library/redis", None, None, id="hub-alias"),
        pytest.param("localhost/app", "localhost/app", None, None, id="localhost"),
        pytest.param("localhost:5000/a/b:v1", "localhost:5000/a/b", "v1", None, id="registry-port"),
        pytest.param("foo:5000", "docker.io/library/foo", "5000", None, id="port-looking-tag"),
        pytest.param(
            "ghcr.io/org/app:v1.0.1-bfeda01f", "ghcr.io/org/app", "v1.0.1-bfeda01f", None, id="ghcr"
        ),
        pytest.param(f"redis@{SHA}", "docker.io/library/redis", None, SHA, id="digest"),
        pytest.param(f"redis:7.4.1@{SHA}", "docker.io/library/redis", "7.4.1", SHA, id="tag-and-digest"),
        pytest.param("[::1]:5000/app:1", "[::1]:5000/app", "1", None, id="ipv6-registry"),
        pytest.param("Registry.Example.com/app", "Registry.Example.com/app", None, None, id="upper-registry"),
        pytest.param("a/b__c/d-e.f_g:T_1.x-", "docker.io/a/b__c/d-e.f_g", "T_1.x-", None, id="separators"),
    ],
)
def test_parse_valid(reference: str, repository: str, tag: str | None, digest: str | None) -> None:
    ref = images.parse(reference)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)


@pytest.mark.parametrize(
    "reference",
    [
        pytest.param("", id="empty"),
        pytest.param("Nginx", id="upper-repo"),
        pytest.param("org/App:1", id="upper-path"),
        pytest.param("nginx :1", id="space"),
        pytest.param("a//b", id="empty-component"),
        pytest.param("a/b/", id="trailing-slash"),
        pytest.param("-a/b", id="leading-dash"),
        pytest.param("a___b", id="triple-underscore"),
        pytest.param("nginx:", id="empty-tag"),
        pytest.param("nginx:.1", id="tag-leading-dot"),
        pytest.param("nginx:" + "a" * 129, id="tag-too-long"),
        pytest.param("nginx@sha256:abcd", id="short-digest"),
        pytest.param("nginx@sha256:" + "a" * 63, id="sha256-63"),
        pytest.param("a" * 64, id="bare-identifier"),
        pytest.param("x/" + "a" * 260, id="name-too-long"),
        pytest.param("nginx@md5", id="digest-without-hex"),
    ],
)
def test_parse_invalid(reference: str) -> None:
    with pytest.raises(images.ImageReferenceError):
        images.parse(reference)


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        pytest.param("nginx", "no tag", id="untagged"),
        pytest.param("nginx:latest", ":latest", id="latest"),
        pytest.param("app:main", "moving tag", id="branch"),
        pytest.param("app:stable", "moving tag", id="stable"),
        pytest.param("app:latest-alpine", "moving tag", id="latest-variant"),
        pytest.param("python:3.11", "partial version", id="minor"),
        pytest.param("redis:7-alpine", "partial version", id="major-variant"),
        pytest.param("app:v1", "partial version", id="v-major"),
        pytest.param("python:3.11.9-slim", None, id="full-version"),
        pytest.param("app:v1.0.1-bfeda01f", None, id="semver-sha"),
        pytest.param(f"nginx@{SHA}", None, id="digest-only"),
        pytest.param(f"nginx:latest@{SHA}", None, id="digest-wins"),
        pytest.param("app:2024.06.01", None, id="calver"),
    ],
)
def test_tag_problem(reference: str, problem: str | None) -> None:
    found = images.tag_problem(images.parse(reference))
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
