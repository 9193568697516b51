"""missing-requests: containers declare CPU and memory requests."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_map, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity

RESOURCES = ("cpu", "memory")


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        resources = as_map(c.body.get("resources"))
        have = as_map(resources.get("requests"))
        missing = [r for r in RESOURCES if r not in have]
        if missing:
            where = (
                (*c.path, "resources", "requests")
                if have
                else (*c.path, "resources")
                if resources
                else c.path
            )
            yield Hit(f"container {c.name!r} has no {' or '.join(missing)} request", where)


RULE = Rule(
    id="missing-requests",
    summary="Containers request CPU and memory so the scheduler can place them",
    severity=Severity.WARNING,
    category="resources",
    check=check,
    kinds=WORKLOADS,
)
