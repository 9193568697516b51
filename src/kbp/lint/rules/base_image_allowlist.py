"""base-image-allowlist: Dockerfile FROM images come from allowed (well-known) repositories."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from kbp.lint import images
from kbp.lint.dockerfiles import Dockerfile
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(dockerfile: Dockerfile, options: Options) -> Iterator[Hit]:
    for stage in dockerfile.stages:
        if stage.from_stage:
            continue
        if stage.image is None:
            yield Hit(
                f"FROM {stage.written!r}: an ARG has no default, the base image is unknown",
                position=stage.position,
            )
            continue
        try:
            ref = images.parse(stage.image)
        except ValueError as err:
            yield Hit(f"FROM {stage.written!r}: {err}", position=stage.position)
            continue
        if not any(fnmatchcase(ref.repository, pattern) for pattern in options.base_images):
            allowed = ", ".join(options.base_images)
            yield Hit(
                f"base image {ref.repository} is not in the allowlist ({allowed})", position=stage.position
            )


RULE = Rule(
    id="base-image-allowlist",
    summary="Dockerfiles build on well-known, allow-listed base images",
    severity=Severity.WARNING,
    category="images",
    check_dockerfile=check,
)
