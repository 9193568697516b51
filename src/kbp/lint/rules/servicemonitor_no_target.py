"""servicemonitor-no-target: a ServiceMonitor's selector matches a Service of the set, and each
endpoint's port is a named port of one. Checked for namespaces the set holds objects of."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.manifests import Manifest, as_list, as_map
from kbp.lint.monitors import namespaces, selected_services
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity

_SHOWN = 3


def _port_names(service: Manifest) -> list[str]:
    return [
        str(p["name"]) for p in (as_map(p) for p in as_list(service.get(("spec", "ports")))) if "name" in p
    ]


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    for monitor in platform.bundle.of_kind("ServiceMonitor"):
        where = namespaces(monitor)
        if where is not None and not where & platform.namespaces and monitor.namespace is not None:
            continue  # it looks where the set has nothing: not ours to judge
        services = selected_services(monitor, platform)
        if not services:
            nearby = list(platform.bundle.in_namespace("Service", monitor.namespace))[:_SHOWN]
            related = tuple(
                Pointer(
                    s,
                    ("metadata", "labels") if s.metadata.get("labels") else ("metadata",),
                    f"Service {s.name}",
                )
                for s in nearby
            )
            yield SetHit(
                f"ServiceMonitor {monitor.name} selects no Service of the set; Prometheus scrapes nothing",
                monitor,
                ("spec", "selector"),
                related,
            )
            continue
        for i, raw in enumerate(as_list(monitor.get(("spec", "endpoints")))):
            port = as_map(raw).get("port")
            if port is None or any(str(port) in _port_names(s) for s in services):
                continue
            related = tuple(
                Pointer(
                    s, ("spec", "ports"), f"Service {s.name} ports: {', '.join(_port_names(s)) or 'unnamed'}"
                )
                for s in services[:_SHOWN]
            )
            yield SetHit(
                f"ServiceMonitor {monitor.name}: endpoint port {port!r} is a named port of no Service "
                "it selects",
                monitor,
                ("spec", "endpoints", i, "port"),
                related,
            )


RULE = Rule(
    id="servicemonitor-no-target",
    summary="ServiceMonitors select a Service of the set by label and port name",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
