"""missing-ephemeral-storage: containers request and limit ephemeral storage (kube-score's
container-ephemeral-storage-request-and-limit, without its demand that the two be equal)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_map, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity

RESOURCE = "ephemeral-storage"
_ZERO = frozenset({"0", "0Ki", "0Mi", "0Gi", "0K", "0M", "0G"})


def _is_set(section: object) -> bool:
    value = as_map(section).get(RESOURCE)
    return value is not None and str(value).strip() not in _ZERO  # 0 is no limit at all (kube-score)


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        resources = as_map(c.body.get("resources"))
        missing = [s for s in ("requests", "limits") if not _is_set(resources.get(s))]
        named = " or ".join(s.rstrip("s") for s in missing)
        if not missing:
            continue
        where = (*c.path, "resources") if resources else c.path
        if len(missing) == 1 and missing[0] in resources:
            where = (*c.path, "resources", missing[0])
        why = "the kubelet evicts by it when a node's disk fills, and nothing bounds a runaway log or cache"
        yield Hit(f"container {c.name!r} has no {RESOURCE} {named}; {why}", where)


RULE = Rule(
    id="missing-ephemeral-storage",
    summary="Containers request and limit ephemeral storage",
    severity=Severity.WARNING,
    category="resources",
    check=check,
    kinds=WORKLOADS,
)
