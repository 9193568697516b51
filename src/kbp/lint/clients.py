"""The known clients of a platform's pods, for the network-policy rule: the gateway's proxies, the
monitoring stack's Prometheus, and a chart's `helm test` Pods, each with the pods it must reach."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint import gateways
from kbp.lint.bundle import service_selects
from kbp.lint.manifests import (
    Manifest,
    annotation_map,
    as_list,
    as_map,
    containers,
    label_map,
    template_metadata,
)
from kbp.lint.monitors import selected_services
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Pointer

# GatewayClass controllers and the charts that run their proxies in the release's namespace.
GATEWAY_CONTROLLERS = {
    "gateway.envoyproxy.io/": ("gateway-helm", "envoy-gateway"),
    "gateway.nginx.org/": ("nginx-gateway-fabric",),
    "traefik.io/": ("traefik",),
    "istio.io/": ("istiod", "gateway"),
}
MONITORING_CHARTS = ("kube-prometheus-stack", "prometheus", "prometheus-operator")


@dataclass(frozen=True)
class Port:
    number: int | None
    name: str | None


@dataclass(frozen=True)
class Target:
    """Pods a client reaches, on which port, and what says it must (a route, a monitor, a URL)."""

    workload: Manifest
    port: Port
    service: Manifest
    reason: Pointer


@dataclass(frozen=True)
class Client:
    kind: str  # "the gateway's proxies", "Prometheus", "helm test Pod x"
    namespace: str
    pod_labels: Mapping[str, str] | None  # None: not known (another chart's pods)
    where: Pointer
    targets: tuple[Target, ...]


def _container_port(workload: Manifest, target: Any) -> Port:
    """A Service's targetPort as the pods see it: a number, or a container port's name."""
    for c in containers(workload, include_init=False):
        for raw in as_list(c.body.get("ports")):
            p = as_map(raw)
            if p.get("name") == target or p.get("containerPort") == target:
                return Port(p.get("containerPort"), p.get("name"))
    return Port(target, None) if isinstance(target, int) else Port(None, str(target))


def service_targets(platform: Platform, service: Manifest, port: Any, reason: Pointer) -> Iterator[Target]:
    """The pods behind ``service`` on its port ``port`` (None: every port)."""
    selector = as_map(service.get(("spec", "selector")))
    if not selector:
        return
    for raw in as_list(service.get(("spec", "ports"))):
        p = as_map(raw)
        if port is not None and port not in (p.get("port"), p.get("name")):
            continue
        target = p.get("targetPort", p.get("port"))
        for workload, labels in platform.bundle.pod_templates(service.namespace):
            if service_selects(selector, labels):
                yield Target(workload, _container_port(workload, target), service, reason)


def _gateway_namespace(platform: Platform, gateway: Manifest) -> tuple[str, Pointer] | None:
    """Where a Gateway's proxies run: the namespace of the release running its class's controller."""
    cls = platform.bundle.find("GatewayClass", None, str(gateway.get(("spec", "gatewayClassName")) or ""))
    controller = str(cls.get(("spec", "controllerName")) or "") if cls else ""
    for prefix, charts in GATEWAY_CONTROLLERS.items():
        if controller.startswith(prefix):
            for declared in platform.of_chart(*charts):
                release = declared.release
                note = f"the gateway's proxies run in {release.namespace} (release {release.name})"
                pointer = platform.where(declared, note)
                if pointer is not None:
                    return declared.release.namespace, pointer
    if gateway.namespace is None:
        return None
    note = f"Gateway {gateway.namespace}/{gateway.name}"
    return gateway.namespace, Pointer(gateway, ("metadata", "name"), note)


def gateway_clients(platform: Platform) -> Iterator[Client]:
    for route in platform.bundle.of_kind("HTTPRoute", "GRPCRoute"):
        for ref in gateways.route_parents(route):
            gateway = gateways.find_gateway(platform.bundle, ref)
            found = _gateway_namespace(platform, gateway) if gateway is not None else None
            if found is None:
                continue
            namespace, where = found
            targets: list[Target] = []
            for i, rule in enumerate(as_list(route.get(("spec", "rules")))):
                for j, raw in enumerate(as_list(as_map(rule).get("backendRefs"))):
                    backend = as_map(raw)
                    if backend.get("kind", "Service") != "Service":
                        continue
                    service = platform.bundle.find("Service", route.namespace, str(backend.get("name", "")))
                    if service is not None:
                        reason = Pointer(
                            route, ("spec", "rules", i, "backendRefs", j), f"{route.kind} {route.name}"
                        )
                        targets.extend(service_targets(platform, service, backend.get("port"), reason))
            yield Client("the gateway's proxies", namespace, None, where, tuple(targets))


def monitoring_clients(platform: Platform) -> Iterator[Client]:
    for declared in platform.of_chart(*MONITORING_CHARTS):
        where = platform.where(
            declared, f"Prometheus runs in {declared.release.namespace} (release {declared.release.name})"
        )
        if where is None:
            continue
        targets: list[Target] = []
        for monitor in platform.bundle.of_kind("ServiceMonitor"):
            for i, raw in enumerate(as_list(monitor.get(("spec", "endpoints")))):
                reason = Pointer(monitor, ("spec", "endpoints", i), f"ServiceMonitor {monitor.name}")
                for service in selected_services(monitor, platform):
                    targets.extend(service_targets(platform, service, as_map(raw).get("port"), reason))
        yield Client("Prometheus", declared.release.namespace, None, where, tuple(targets))


def _words(pod: Manifest) -> Iterator[str]:
    for c in containers(pod):
        for key in ("command", "args"):
            yield from (str(w) for w in as_list(c.body.get(key)))
        yield from (str(as_map(e).get("value", "")) for e in as_list(c.body.get("env")))


def test_clients(platform: Platform) -> Iterator[Client]:
    """`helm test` Pods and the Services their commands name (`http://journal-api/readyz`)."""
    for pod in platform.bundle.of_kind("Pod"):
        if "test" not in annotation_map(pod.metadata).get("helm.sh/hook", "") or pod.namespace is None:
            continue
        text = "\n".join(_words(pod))
        targets: list[Target] = []
        for service in platform.bundle.in_namespace("Service", pod.namespace):
            for match in re.finditer(
                rf"(?:(https?)://)?(?<![\w.-]){re.escape(service.name)}(?![\w-])(?::(\d+))?", text
            ):
                scheme, port = match.group(1), match.group(2)
                number = int(port) if port else {"http": 80, "https": 443}.get(scheme or "")
                reason = Pointer(
                    pod, ("spec", "containers"), f"helm test Pod {pod.name} calls {service.name}"
                )
                targets.extend(service_targets(platform, service, number, reason))
        labels = label_map(template_metadata(pod))
        yield Client(
            f"helm test Pod {pod.name}",
            pod.namespace,
            labels,
            Pointer(pod, ("metadata", "name"), f"helm test Pod {pod.name}"),
            tuple(targets),
        )


def known_clients(platform: Platform) -> Iterator[Client]:
    yield from gateway_clients(platform)
    yield from monitoring_clients(platform)
    yield from test_clients(platform)
