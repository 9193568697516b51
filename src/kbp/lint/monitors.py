"""Prometheus Operator monitors as the cross-release rules read them: where a ServiceMonitor
looks and which Services of the set it selects."""

from __future__ import annotations

from kbp.lint.bundle import selector_matches
from kbp.lint.manifests import Manifest, as_list, as_map, label_map
from kbp.lint.platforms import Platform


def namespaces(monitor: Manifest) -> frozenset[str] | None:
    """The namespaces it looks in; None: every namespace (`any: true`)."""
    selector = as_map(monitor.get(("spec", "namespaceSelector")))
    if selector.get("any") is True:
        return None
    names = [str(n) for n in as_list(selector.get("matchNames"))]
    return frozenset(names) if names else frozenset({monitor.namespace or ""})


def selected_services(monitor: Manifest, platform: Platform) -> list[Manifest]:
    where = namespaces(monitor)
    selector = as_map(monitor.get(("spec", "selector")))
    return [
        s
        for s in platform.bundle.of_kind("Service")
        if (where is None or s.namespace in where or s.namespace is None)
        and selector_matches(selector, label_map(s.metadata))
    ]
