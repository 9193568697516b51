"""route-hostname-uncovered: each hostname of a route is covered by a listener it attaches to."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import gateways
from kbp.lint.gateways import Listener
from kbp.lint.manifests import Manifest, as_list
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity


def _listeners(route: Manifest, platform: Platform) -> list[Listener] | None:
    """Every listener the route attaches to; None when a parent is not in the set (not checked)."""
    found: list[Listener] = []
    for ref in gateways.route_parents(route):
        gateway = gateways.find_gateway(platform.bundle, ref)
        if gateway is None:
            return None  # route-gateway-missing reports it
        found.extend(gateways.attachable(gateway, ref))
    return found


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    for route in platform.bundle.of_kind(*sorted(gateways.HOSTNAMED_ROUTES)):
        attached = _listeners(route, platform)
        if not attached:
            continue
        for i, host in enumerate(as_list(route.get(("spec", "hostnames")))):
            if any(gateways.hostnames_intersect(str(host), x.hostname) for x in attached):
                continue
            related = tuple(Pointer(x.gateway, (*x.path, "hostname"), x.label) for x in attached)
            covered = ", ".join(sorted({x.hostname or "*" for x in attached}))
            yield SetHit(
                f"{route.kind} {route.name}: hostname {host!r} is covered by no listener it attaches to "
                f"({covered}); the Gateway never routes it",
                route,
                ("spec", "hostnames", i),
                related,
            )


RULE = Rule(
    id="route-hostname-uncovered",
    summary="Every hostname of a route is covered by a listener it attaches to",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
