"""route-gateway-missing: a route's parentRef (or an ACME HTTP-01 solver's) names a Gateway and a
listener of the set that admit it. Checked only when the set holds a Gateway."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import gateways
from kbp.lint.gateways import ParentRef
from kbp.lint.manifests import as_list, as_map
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity

_SHOWN = 3  # Gateways listed as the other side when none matches


def _refs(platform: Platform) -> Iterator[ParentRef]:
    for route in platform.bundle.of_kind(*sorted(gateways.ROUTES)):
        yield from gateways.route_parents(route)
    for issuer in platform.bundle.of_kind("ClusterIssuer", "Issuer"):
        for i, solver in enumerate(as_list(issuer.get(("spec", "acme", "solvers")))):
            http01 = as_map(as_map(as_map(solver).get("http01")).get("gatewayHTTPRoute"))
            base = ("spec", "acme", "solvers", i, "http01", "gatewayHTTPRoute", "parentRefs")
            yield from gateways.gateway_refs(http01.get("parentRefs"), issuer, base)


def _check(ref: ParentRef, platform: Platform) -> SetHit | None:
    who = f"{ref.referrer.kind} {ref.referrer.name}"
    gateway = gateways.find_gateway(platform.bundle, ref)
    if gateway is None:
        present = list(platform.bundle.of_kind("Gateway"))[:_SHOWN]
        related = tuple(Pointer(g, ("metadata", "name"), f"Gateway {g.namespace}/{g.name}") for g in present)
        message = f"{who} attaches to Gateway {ref.namespace}/{ref.name}, which no release of the set creates"
        return SetHit(message, ref.referrer, (*ref.path, "name"), related)
    named = [x for x in gateways.listeners(gateway) if ref.section is None or x.name == ref.section]
    if not named:
        related = tuple(Pointer(gateway, x.path, x.label) for x in gateways.listeners(gateway))
        where = f"Gateway {gateway.namespace}/{gateway.name}"
        message = f"{who} attaches to listener {ref.section!r} of {where}, which has none by that name"
        return SetHit(message, ref.referrer, (*ref.path, "sectionName"), related)
    if ref.referrer.kind in gateways.ROUTES and not gateways.attachable(gateway, ref):
        related = tuple(Pointer(gateway, (*x.path, "name"), x.label) for x in named)
        message = (
            f"{who} in namespace {ref.referrer.namespace!r} cannot attach to Gateway "
            f"{gateway.namespace}/{gateway.name}: its listeners admit routes only from their own "
            "namespace (allowedRoutes.namespaces.from defaults to Same)"
        )
        return SetHit(message, ref.referrer, (*ref.path, "name"), related)
    return None


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    if not platform.bundle.by_kind.get("Gateway"):
        return
    for ref in _refs(platform):
        hit = _check(ref, platform)
        if hit is not None:
            yield hit


RULE = Rule(
    id="route-gateway-missing",
    summary="Routes attach to a Gateway and listener of the set that admit them",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
