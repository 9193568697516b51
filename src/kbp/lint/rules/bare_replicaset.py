"""bare-replicaset: a ReplicaSet (or ReplicationController) written by hand instead of a Deployment."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind in ("ReplicaSet", "ReplicationController") and not m.metadata.get("ownerReferences"):
        yield Hit(f"bare {m.kind}: use a Deployment, which adds rolling updates and rollback", ("kind",))


RULE = Rule(
    id="bare-replicaset",
    summary="ReplicaSets are managed by Deployments, not written directly",
    severity=Severity.WARNING,
    category="workloads",
    check=check,
    kinds=frozenset({"ReplicaSet", "ReplicationController"}),
)
