"""image-not-pushed: an image on a registry the set's CI pipeline pushes to is one it pushes,
repository and tag. Checked only when the set holds a workflow that pushes images."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.manifests import container_images
from kbp.lint.pipelines import Push
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity


def _host(push: Push) -> str | None:
    """The registry a push goes to, when the workflow names it literally."""
    first = push.shown.split("/", 1)[0]
    return first if "." in first and not any(c in first for c in "<>$") else None


def _pointers(pushes: list[Push]) -> tuple[Pointer, ...]:
    return tuple(Pointer(p.workflow, p.path, f"pushes {p.shown}") for p in pushes)


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    hosts = {h for h in map(_host, platform.pushes) if h}
    if not hosts:
        return
    for m in platform.bundle.manifests:
        for c, image, ref in container_images(m):
            if ref.domain not in hosts:
                continue
            same_host = [p for p in platform.pushes if _host(p) == ref.domain]
            candidates = [p for p in same_host if p.matches_repository(ref.repository)]
            path = (*c.path, "image")
            if not candidates:
                pushed = ", ".join(p.shown for p in same_host)
                yield SetHit(
                    f"container {c.name!r}: image {image!r} is no repository the pipeline pushes to "
                    f"{ref.domain} (it pushes {pushed})",
                    m,
                    path,
                    _pointers(same_host),
                )
            elif ref.tag is not None and not any(p.matches_tag(ref.tag) for p in candidates):
                shapes = ", ".join(sorted({p.shown.rsplit(":", 1)[-1] for p in candidates}))
                yield SetHit(
                    f"container {c.name!r}: tag {ref.tag!r} of {ref.repository} is not a tag the pipeline "
                    f"pushes ({shapes})",
                    m,
                    path,
                    _pointers(candidates),
                )


RULE = Rule(
    id="image-not-pushed",
    summary="Images from the pipeline's registry are ones the pipeline pushes",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
