"""image-invalid: an image string that is not a valid reference (pull would fail)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import images
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        image = c.body.get("image")
        if image is None:
            yield Hit(f"container {c.name!r} has no image", c.path)
            continue
        try:
            images.parse(str(image))
        except ValueError as err:
            yield Hit(f"container {c.name!r}: {err}", (*c.path, "image"))


RULE = Rule(
    id="image-invalid",
    summary="Container images must be valid image references",
    severity=Severity.ERROR,
    category="images",
    check=check,
    kinds=WORKLOADS,
)
