"""min-replicas: at least 2 replicas (or an HPA whose minReplicas is at least 2)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, same_namespace
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity

SCALED_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")


def _hpa_min(m: Manifest, bundle: Bundle) -> int | None:
    """The largest minReplicas of the HPAs that scale ``m``, or None if none does."""
    best: int | None = None
    for hpa in bundle.scalers.get((m.kind, m.name), ()):
        if same_namespace(hpa.namespace, m.namespace):
            value = hpa.get(("spec", "minReplicas"))
            low = value if isinstance(value, int) else 1
            best = low if best is None else max(best, low)
    return best


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    want = options.min_replicas
    if m.kind == "HorizontalPodAutoscaler":
        value = m.get(("spec", "minReplicas"))
        low = value if isinstance(value, int) else 1
        if low < want:
            yield Hit(f"HPA minReplicas is {low}; set it to at least {want}", ("spec", "minReplicas"))
        return
    if m.kind not in SCALED_KINDS or m.metadata.get("ownerReferences"):
        return
    hpa_min = _hpa_min(m, bundle)
    if hpa_min is not None:
        return  # the HPA owns the replica count; its own minReplicas is checked on the HPA
    replicas = m.get(("spec", "replicas"))
    if replicas is None:
        yield Hit(f"replicas is not set (defaults to 1); set at least {want} or add an HPA", ("spec",))
    elif isinstance(replicas, int) and replicas < want:
        yield Hit(
            f"replicas is {replicas}; run at least {want} so one failure is not an outage",
            ("spec", "replicas"),
        )


RULE = Rule(
    id="min-replicas",
    summary="Workloads run at least 2 replicas (HPA-aware)",
    severity=Severity.WARNING,
    category="reliability",
    check=check,
    kinds=frozenset({*SCALED_KINDS, "HorizontalPodAutoscaler"}),
)
