"""image-tag-latest: an image without a tag or digest, or tagged :latest."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import images
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        image = c.body.get("image")
        if not isinstance(image, str):
            continue
        try:
            ref = images.parse(image)
        except ValueError:
            continue  # image-invalid reports it
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
