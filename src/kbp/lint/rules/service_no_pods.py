"""service-no-pods: a Service whose selector matches no pod template in the bundle."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, controller_labels, service_selects
from kbp.lint.manifests import Manifest, as_map
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "Service" or m.get(("spec", "type")) == "ExternalName":
        return
    selector = as_map(m.get(("spec", "selector")))
    if not selector:
        return  # endpoints managed by hand or by another controller
    for workload, pod_labels in bundle.pod_templates(m.namespace):
        if any(service_selects(selector, labels) for labels in controller_labels(workload, pod_labels)):
            return
    pairs = ", ".join(f"{k}={v}" for k, v in selector.items())
    yield Hit(
        f"selector {pairs} matches no pod template in the bundle; the Service has no endpoints",
        ("spec", "selector"),
    )


RULE = Rule(
    id="service-no-pods",
    summary="Services select pods defined in the same bundle",
    severity=Severity.WARNING,
    category="services",
    check=check,
    kinds=frozenset({"Service"}),
)
