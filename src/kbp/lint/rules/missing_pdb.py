"""missing-pdb: replicated workloads have a PodDisruptionBudget selecting their pods."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, same_namespace, selector_matches
from kbp.lint.manifests import Manifest, as_map, label_map, template_metadata
from kbp.lint.rulebook import Hit, Options, Rule, Severity

REPLICATED = ("Deployment", "StatefulSet")


def _replicated(m: Manifest, bundle: Bundle) -> bool:
    replicas = m.get(("spec", "replicas"))
    scaled = any(same_namespace(h.namespace, m.namespace) for h in bundle.scalers.get((m.kind, m.name), ()))
    return scaled or (isinstance(replicas, int) and replicas >= 2)


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind not in REPLICATED or not _replicated(m, bundle):
        return
    pod_labels = label_map(template_metadata(m))
    for pdb in bundle.in_namespace("PodDisruptionBudget", m.namespace):
        selector = as_map(pdb.get(("spec", "selector")))
        if selector and selector_matches(selector, pod_labels):
            return
    yield Hit(
        f"no PodDisruptionBudget in the bundle selects this {m.kind}'s pods; a node drain can evict "
        "every replica at once",
        ("kind",),
    )


RULE = Rule(
    id="missing-pdb",
    summary="Replicated workloads have a PodDisruptionBudget",
    severity=Severity.WARNING,
    category="reliability",
    check=check,
    kinds=frozenset(REPLICATED),
)
