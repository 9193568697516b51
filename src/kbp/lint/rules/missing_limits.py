"""missing-limits: containers declare CPU and memory limits."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, missing_resources
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c, missing, where in missing_resources(m, "limits"):
        yield Hit(f"container {c.name!r} has no {' or '.join(missing)} limit", where)


RULE = Rule(
    id="missing-limits",
    summary="Containers set CPU and memory limits so one pod cannot starve its node",
    severity=Severity.WARNING,
    category="resources",
    check=check,
    kinds=WORKLOADS,
)
