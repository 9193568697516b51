"""What a rule is: an id, a default severity and a pure check. Rules never read files or log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING

from kbp.lint.manifests import Manifest, Path, Position

if TYPE_CHECKING:
    from kbp.lint.bundle import Bundle
    from kbp.lint.dockerfiles import Dockerfile
    from kbp.lint.platforms import Platform


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected: info, warning, error)") from None


# v<semver>-<git sha>, e.g. v1.0.1-bfeda01f: a release you can trace to a commit.
DEFAULT_TAG_FORMAT = (
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?-[0-9a-f]{7,40}$"
)
# Well-known publishers of base images: Docker official images, distroless, Chainguard, UBI.
DEFAULT_BASE_IMAGES = (
    "docker.io/library/*",
    "gcr.io/distroless/*",
    "cgr.dev/chainguard/*",
    "registry.access.redhat.com/ubi*",
    "mcr.microsoft.com/*",
)
DEFAULT_REQUIRED_LABELS = ("app.kubernetes.io/name", "app.kubernetes.io/instance")


@dataclass(frozen=True)
class Options:
    """Rule parameters from the config file; defaults are the house practices."""

    tag_format: re.Pattern[str] = field(default_factory=lambda: re.compile(DEFAULT_TAG_FORMAT))
    base_images: tuple[str, ...] = DEFAULT_BASE_IMAGES
    required_labels: tuple[str, ...] = DEFAULT_REQUIRED_LABELS
    min_replicas: int = 2
    known_rules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Hit:
    """One violation as a rule sees it: where (a field path or a position) and what."""

    message: str
    path: Path = ()
    position: Position | None = None


@dataclass(frozen=True)
class Pointer:
    """A field of a document in the set (an object, a workflow, a helmfile) and what it is."""

    document: Manifest
    path: Path
    note: str


@dataclass(frozen=True)
class SetHit:
    """A reference from one part of the set that another part does not satisfy: the reference
    (``subject``: an object's field) and what it was checked against (``related``)."""

    message: str
    subject: Manifest
    path: Path
    related: tuple[Pointer, ...] = ()


ManifestCheck = Callable[[Manifest, "Bundle", Options], Iterable[Hit]]
DockerfileCheck = Callable[["Dockerfile", Options], Iterable[Hit]]
SetCheck = Callable[["Platform", Options], Iterable[SetHit]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    severity: Severity
    category: str
    check: ManifestCheck | None = None
    check_dockerfile: DockerfileCheck | None = None
    check_set: SetCheck | None = None  # cross-release: runs once over the whole set
    exemptable: bool = True  # by kbp.dev/lint-exempt annotations; config exemptions cover every rule
    kinds: frozenset[str] | None = None  # only objects of these kinds reach check; None: all
