"""image-tag-latest: an image without a tag or digest, or tagged :latest."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import images
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, container_images
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c, image, ref in container_images(m):
        if ref.digest is None and ref.tag in (None, "latest"):
            problem = images.tag_problem(ref)
            yield Hit(f"container {c.name!r}: image {image!r} {problem}", (*c.path, "image"))


RULE = Rule(
    id="image-tag-latest",
    summary="Images must carry a tag or digest other than latest",
    severity=Severity.ERROR,
    category="images",
    check=check,
    kinds=WORKLOADS,
)
