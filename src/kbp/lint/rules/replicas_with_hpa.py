"""replicas-with-hpa: a workload scaled by an HPA must not also set spec.replicas."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, same_namespace
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.get(("spec", "replicas")) is None:
        return
    for hpa in bundle.scalers.get((m.kind, m.name), ()):
        if same_namespace(hpa.namespace, m.namespace):
            yield Hit(
                f"spec.replicas is set but HPA {hpa.name!r} scales this {m.kind}: every apply resets the "
                "replica count the HPA chose; remove spec.replicas",
                ("spec", "replicas"),
            )
            return


RULE = Rule(
    id="replicas-with-hpa",
    summary="Workloads scaled by an HPA leave spec.replicas unset",
    severity=Severity.WARNING,
    category="reliability",
    check=check,
    kinds=frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}),
)
