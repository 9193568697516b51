"""Gateway API as the cross-release rules read it: listeners, parent references, hostnames."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, Path, as_list, as_map

GROUP = "gateway.networking.k8s.io"
ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})
HOSTNAMED_ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute"})


@dataclass(frozen=True)
class Listener:
    gateway: Manifest
    index: int
    body: Mapping[str, Any]

    @property
    def path(self) -> Path:
        return ("spec", "listeners", self.index)

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    @property
    def hostname(self) -> str | None:
        host = self.body.get("hostname")
        return str(host) if host else None

    @property
    def label(self) -> str:
        host = f" ({self.hostname})" if self.hostname else " (any host)"
        return f"listener {self.name} of Gateway {self.gateway.namespace}/{self.gateway.name}{host}"

    def admits_namespace(self, namespace: str | None) -> bool:
        """allowedRoutes.namespaces.from: Same (the default), All, or Selector (not known here)."""
        origin = as_map(as_map(self.body.get("allowedRoutes")).get("namespaces")).get("from", "Same")
        return origin != "Same" or namespace is None or namespace == self.gateway.namespace


def listeners(gateway: Manifest) -> list[Listener]:
    return [
        Listener(gateway, i, body)
        for i, body in enumerate(as_list(gateway.get(("spec", "listeners"))))
        if isinstance(body, dict)
    ]


@dataclass(frozen=True)
class ParentRef:
    referrer: Manifest
    path: Path
    name: str
    namespace: str | None
    section: str | None


def gateway_refs(refs: Any, referrer: Manifest, base: Path) -> Iterator[ParentRef]:
    """The entries of a parentRefs list that name a Gateway (group and kind default to it)."""
    for i, raw in enumerate(as_list(refs)):
        ref = as_map(raw)
        if ref.get("group", GROUP) != GROUP or ref.get("kind", "Gateway") != "Gateway" or not ref.get("name"):
            continue
        namespace = str(ref["namespace"]) if ref.get("namespace") else referrer.namespace
        section = str(ref["sectionName"]) if ref.get("sectionName") else None
        yield ParentRef(referrer, (*base, i), str(ref["name"]), namespace, section)


def route_parents(route: Manifest) -> Iterator[ParentRef]:
    return gateway_refs(route.get(("spec", "parentRefs")), route, ("spec", "parentRefs"))


def find_gateway(bundle: Bundle, ref: ParentRef) -> Manifest | None:
    return bundle.find("Gateway", ref.namespace, ref.name)


def attachable(gateway: Manifest, ref: ParentRef) -> list[Listener]:
    """The listeners a route can attach to through ``ref``: its section, or all; then by namespace."""
    found = [x for x in listeners(gateway) if ref.section is None or x.name == ref.section]
    return [x for x in found if x.admits_namespace(ref.referrer.namespace)]


def hostnames_intersect(route_host: str | None, listener_host: str | None) -> bool:
    """Gateway API hostname matching: `*.example.com` covers any name below example.com, not the
    apex; either side may be a wildcard; a missing hostname matches everything."""
    if route_host is None or listener_host is None:
        return True
    a, b = route_host.lower().rstrip("."), listener_host.lower().rstrip(".")
    if a == b:
        return True
    if b.startswith("*.") and not a.startswith("*."):
        return a.endswith(b[1:])
    if a.startswith("*.") and not b.startswith("*."):
        return b.endswith(a[1:])
    if a.startswith("*.") and b.startswith("*."):
        return a.endswith(b[1:]) or b.endswith(a[1:])
    return False
