"""pvc-needs-statefulset: persistent claims in a Deployment belong in a StatefulSet."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, as_list, as_map, pod_spec, pod_spec_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind not in ("Deployment", "ReplicaSet", "StatefulSet"):
        return
    replicas = m.get(("spec", "replicas"))
    many = not isinstance(replicas, int) or replicas > 1
    if m.kind == "StatefulSet" and not many:
        return
    spec_path = pod_spec_path(m) or ()
    for index, volume in enumerate(as_list(pod_spec(m).get("volumes"))):
        claim = as_map(as_map(volume).get("persistentVolumeClaim")).get("claimName")
        if not claim:
            continue
        path = (*spec_path, "volumes", index, "persistentVolumeClaim")
        if m.kind == "StatefulSet":
            yield Hit(
                f"all replicas share the claim {claim!r}; give each its own with volumeClaimTemplates", path
            )
        else:
            yield Hit(
                f"{m.kind} mounts the claim {claim!r}: stateful pods need stable identity and one volume "
                "each; use a StatefulSet with volumeClaimTemplates",
                path,
            )


RULE = Rule(
    id="pvc-needs-statefulset",
    summary="Workloads with persistent claims are StatefulSets with volumeClaimTemplates",
    severity=Severity.WARNING,
    category="workloads",
    check=check,
    kinds=frozenset({"Deployment", "ReplicaSet", "StatefulSet"}),
)
