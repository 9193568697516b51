"""missing-requests: containers declare CPU and memory requests."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, missing_resources
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c, missing, where in missing_resources(m, "requests"):
        yield Hit(f"container {c.name!r} has no {' or '.join(missing)} request", where)


RULE = Rule(
    id="missing-requests",
    summary="Containers request CPU and memory so the scheduler can place them",
    severity=Severity.WARNING,
    category="resources",
    check=check,
    kinds=WORKLOADS,
)
