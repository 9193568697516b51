"""ingress-missing-service: an Ingress backend names a Service (or port) not in the bundle."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, Path, as_list, as_map
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def _backends(m: Manifest) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    if default := as_map(m.get(("spec", "defaultBackend")) or m.get(("spec", "backend"))):
        yield ("spec", "defaultBackend" if m.get(("spec", "defaultBackend")) else "backend"), default
    for r_index, rule in enumerate(as_list(m.get(("spec", "rules")))):
        for p_index, entry in enumerate(as_list(as_map(as_map(rule).get("http")).get("paths"))):
            backend = as_map(as_map(entry).get("backend"))
            yield ("spec", "rules", r_index, "http", "paths", p_index, "backend"), backend


def _target(backend: Mapping[str, Any]) -> tuple[str | None, Any]:
    service = as_map(backend.get("service"))
    if service:  # networking.k8s.io/v1
        port = as_map(service.get("port"))
        return service.get("name"), port.get("number", port.get("name"))
    return backend.get("serviceName"), backend.get("servicePort")  # v1beta1


def _exposes(service: Manifest, port: Any) -> bool:
    if port is None:
        return True
    for raw in as_list(service.get(("spec", "ports"))):
        entry = as_map(raw)
        if port in (entry.get("port"), entry.get("name")):
            return True
    return False


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "Ingress":
        return
    for path, backend in _backends(m):
        name, port = _target(backend)
        if not name:
            continue  # resource backends point at other objects
        service = bundle.find("Service", m.namespace, str(name))
        if service is None:
            yield Hit(f"backend Service {name!r} is not in the bundle; requests will get 503", path)
        elif not _exposes(service, port):
            yield Hit(f"backend Service {name!r} has no port {port!r}", path)


RULE = Rule(
    id="ingress-missing-service",
    summary="Ingress backends point to Services and ports that exist",
    severity=Severity.ERROR,
    category="ingress",
    check=check,
    kinds=frozenset({"Ingress"}),
)
