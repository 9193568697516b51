"""statefulset-storage: a StatefulSet keeps its data in volumeClaimTemplates."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, as_list, as_map, pod_spec
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "StatefulSet" or as_list(m.get(("spec", "volumeClaimTemplates"))):
        return
    volumes = as_list(pod_spec(m).get("volumes"))
    if any(as_map(v).get("persistentVolumeClaim") for v in volumes):
        return  # a shared claim: pvc-needs-statefulset reports it
    yield Hit(
        "StatefulSet has no volumeClaimTemplates: its pods restart empty (a Redis primary that restarts "
        "empty makes its replicas resync to empty); add volumeClaimTemplates",
        ("spec",),
    )


RULE = Rule(
    id="statefulset-storage",
    summary="StatefulSets persist their data with volumeClaimTemplates",
    severity=Severity.WARNING,
    category="workloads",
    check=check,
    kinds=frozenset({"StatefulSet"}),
)
