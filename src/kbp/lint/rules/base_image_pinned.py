"""base-image-pinned: Dockerfile FROM images are pinned to a release or digest."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import images
from kbp.lint.dockerfiles import Dockerfile
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(dockerfile: Dockerfile, options: Options) -> Iterator[Hit]:
    for stage in dockerfile.stages:
        if stage.from_stage or stage.image is None:
            continue
        try:
            ref = images.parse(stage.image)
        except ValueError:
            continue  # base-image-allowlist reports it
        problem = images.tag_problem(ref)
        if problem is not None:
            yield Hit(f"base image {stage.image!r} {problem}", position=stage.position)


RULE = Rule(
    id="base-image-pinned",
    summary="Dockerfile base images are pinned to a release or digest",
    severity=Severity.WARNING,
    category="images",
    check_dockerfile=check,
)
