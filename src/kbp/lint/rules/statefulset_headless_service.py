"""statefulset-headless-service: a StatefulSet's serviceName names a headless Service in the bundle."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, service_selects
from kbp.lint.manifests import Manifest, as_map, label_map, template_metadata
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "StatefulSet":
        return
    name = m.get(("spec", "serviceName"))
    if not name:
        yield Hit("spec.serviceName is not set; pods get no stable DNS names (pod-0.<service>)", ("spec",))
        return
    path = ("spec", "serviceName")
    service = bundle.find("Service", m.namespace, str(name))
    if service is None:
        yield Hit(f"governing Service {name!r} is not in the bundle; add it with clusterIP: None", path)
        return
    if service.get(("spec", "clusterIP")) != "None":
        yield Hit(
            f"governing Service {name!r} is not headless (clusterIP: None), so pod DNS names never resolve",
            path,
        )
    selector = as_map(service.get(("spec", "selector")))
    if selector and not service_selects(selector, label_map(template_metadata(m))):
        yield Hit(f"governing Service {name!r} does not select this StatefulSet's pods", path)


RULE = Rule(
    id="statefulset-headless-service",
    summary="StatefulSets are governed by a headless Service in the same bundle",
    severity=Severity.ERROR,
    category="services",
    check=check,
    kinds=frozenset({"StatefulSet"}),
)
