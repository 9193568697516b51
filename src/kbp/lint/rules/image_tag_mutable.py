"""image-tag-mutable: a tag that names a moving target (stable, main, 1.25, 7-alpine...)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import images
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, container_images
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c, image, ref in container_images(m):
        if ref.tag in (None, "latest"):
            continue  # image-tag-latest covers these
        problem = images.tag_problem(ref)
        if problem is not None:
            yield Hit(
                f"container {c.name!r}: image {image!r} {problem}; pin a release or a digest",
                (*c.path, "image"),
            )


RULE = Rule(
    id="image-tag-mutable",
    summary="Image tags must name one build, not a moving target",
    severity=Severity.WARNING,
    category="images",
    check=check,
    kinds=WORKLOADS,
)
