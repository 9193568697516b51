"""image-tag-format: tags follow the release format (default v<semver>-<git sha>)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, container_images
from kbp.lint.rulebook import DEFAULT_TAG_FORMAT, Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c, _, ref in container_images(m):
        if ref.tag in (None, "latest"):
            continue  # a digest pin passes; no tag or latest is image-tag-latest's
        if not options.tag_format.match(ref.tag):
            yield Hit(f"container {c.name!r}: tag {ref.tag!r} {_expected(options)}", (*c.path, "image"))


def _expected(options: Options) -> str:
    if options.tag_format.pattern == DEFAULT_TAG_FORMAT:
        return "is not in the release format v<semver>-<git sha> (e.g. v1.0.1-bfeda01f)"
    return f"does not match the configured tag-format {options.tag_format.pattern!r}"


RULE = Rule(
    id="image-tag-format",
    summary="Image tags follow the release format v<semver>-<git sha>",
    severity=Severity.INFO,
    category="images",
    check=check,
    kinds=WORKLOADS,
)
