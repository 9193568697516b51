"""missing-egress-policy: every pod is selected by a NetworkPolicy that governs its egress
(kube-score's pod-networkpolicy, with full label selectors: an empty podSelector selects all)."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, selector_matches
from kbp.lint.manifests import WORKLOADS, Manifest, as_map, label_map, template_metadata
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def governs_egress(policy: Manifest) -> bool:
    """policyTypes as the API server defaults it: Egress is in it when given, or when egress rules exist."""
    types = policy.get(("spec", "policyTypes"))
    if isinstance(types, list):
        return "Egress" in types
    return "egress" in as_map(policy.get(("spec",)))


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    pod_labels = label_map(template_metadata(m))
    selecting = [
        p
        for p in bundle.in_namespace("NetworkPolicy", m.namespace)
        if selector_matches(as_map(p.get(("spec", "podSelector"))), pod_labels)
    ]
    if any(governs_egress(p) for p in selecting):
        return
    ingress_only = bool(selecting)
    which = "only ingress NetworkPolicies select" if ingress_only else "no NetworkPolicy selects"
    pods = "this Pod" if m.kind == "Pod" else f"this {m.kind}'s pods"
    yield Hit(
        f"{which} {pods} for egress: a compromised pod can reach anything the network does, the API "
        "server and other tenants included",
        ("kind",),
    )


RULE = Rule(
    id="missing-egress-policy",
    summary="Every pod's egress is governed by a NetworkPolicy",
    severity=Severity.WARNING,
    category="network",
    check=check,
    kinds=WORKLOADS,
)
