"""Container image references, parsed by the grammar of distribution/reference (what Docker uses).

    reference := name [ ":" tag ] [ "@" digest ]
    name      := [ domain "/" ] path-component [ "/" path-component ]*
    domain    := host [ ":" port ]      (a first component with "." or ":" or "localhost")
    tag       := [\\w][\\w.-]{0,127}
    digest    := algorithm ":" hex{32,}

``docker.io`` and ``library/`` are implied when absent, as ``docker pull`` does.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
MAX_NAME_LENGTH = 255
DEFAULT_DOMAIN = "docker.io"

# Tags that name a moving target rather than a build.
FLOATING_TAGS = frozenset(
    {
        "latest",
        "stable",
        "main",
        "master",
        "dev",
        "develop",
        "development",
        "edge",
        "nightly",
        "snapshot",
        "canary",
        "beta",
        "alpha",
        "rc",
        "current",
        "lts",
        "release",
        "head",
        "trunk",
        "test",
        "testing",
        "staging",
        "prod",
        "production",
        "unstable",
        "next",
        "mainline",
    }
)
_PARTIAL_VERSION = re.compile(r"^v?\d+(?:\.\d+)?(?:[-_][a-z][a-z0-9.]*)?$")
_FLOATING_AFFIX = re.compile(r"(?:^|[-_.])(?:latest|snapshot|nightly|edge)(?:$|[-_.])", re.IGNORECASE)


class ImageReferenceError(ValueError):
    """Not a valid image reference."""


@dataclass(frozen=True)
class ImageRef:
    domain: str
    path: str
    tag: str | None
    digest: str | None

    @property
    def repository(self) -> str:
        """Fully qualified repository, e.g. ``docker.io/library/redis``."""
        return f"{self.domain}/{self.path}"

    @property
    def is_pinned(self) -> bool:
        return self.digest is not None

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.repository}{tag}{digest}"


def parse(reference: str) -> ImageRef:
    """Parse and normalize an image reference; raise ``ImageReferenceError`` if it is malformed."""
    parsed = _parse_cached(reference)
    if isinstance(parsed, str):
        raise ImageReferenceError(parsed)
    return parsed


@functools.lru_cache(maxsize=4096)  # four image rules parse each container's image; images repeat
def _parse_cached(reference: str) -> ImageRef | str:
    try:
        return _parse(reference)
    except ImageReferenceError as err:
        return str(err)


def _parse(reference: str) -> ImageRef:
    if _IDENTIFIER.match(reference):
        raise ImageReferenceError(f"{reference!r}: a 64-hex identifier is not a repository name")
    match = _REFERENCE.match(reference)
    if match is None:
        raise ImageReferenceError(f"{reference!r} is not a valid image reference")
    domain, path = match["domain"], match["path"]
    if domain is not None and not _looks_like_domain(domain):
        # "foo/bar": the first component is a path, not a registry
        path, domain = f"{domain}/{path}", None
    if len(f"{domain or ''}/{path}") > MAX_NAME_LENGTH:
        raise ImageReferenceError(f"{reference!r}: repository name longer than {MAX_NAME_LENGTH}")
    digest = match["digest"]
    if digest is not None:
        _check_digest(reference, digest)
    if domain is None or domain in ("index.docker.io", "registry-1.docker.io"):
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = f"library/{path}"
    return ImageRef(domain, path, match["tag"], digest)


def _looks_like_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first.lower() != first


def _check_digest(reference: str, digest: str) -> None:
    algorithm, _, hex_part = digest.partition(":")
    expected = _DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is not None and len(hex_part) != expected:
        raise ImageReferenceError(f"{reference!r}: {algorithm} digest needs {expected} hex digits")


def tag_problem(ref: ImageRef) -> str | None:
    """Why this image does not name one immutable build, or None if it does."""
    if ref.digest is not None:
        return None
    if ref.tag is None:
        return "has no tag, so it means :latest"
    if ref.tag == "latest":
        return "uses :latest"
    lowered = ref.tag.lower()
    if lowered in FLOATING_TAGS or _FLOATING_AFFIX.search(lowered):
        return f"uses the moving tag :{ref.tag}"
    if _PARTIAL_VERSION.match(lowered):
        return f"uses the partial version :{ref.tag}, which moves with each release"
    return None
