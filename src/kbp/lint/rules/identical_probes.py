"""identical-probes: a container's liveness probe is not its readiness probe (kube-score's
pod-probes), compared by what the probes ask, not by their timings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_list, as_map, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity

HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")
# What the API server fills in when a field is left out, so `port: 8080` equals `port: 8080, path: /`.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "httpGet": {"path": "/", "scheme": "HTTP", "host": "", "httpHeaders": []},
    "tcpSocket": {"host": ""},
    "exec": {},
    "grpc": {"service": ""},
}


def _named_port(port: Any, ports: Mapping[str, int]) -> Any:
    """A named port compared as its number, so `port: http` equals `port: 8080` (kube-score compares
    every named port as 0, so two different names look the same to it)."""
    return ports.get(port, port) if isinstance(port, str) else port


def handler(probe: Any, ports: Mapping[str, int]) -> tuple[str, Any] | None:
    """What a probe asks, normalised; None for a probe without a handler."""
    body = as_map(probe)
    for kind in HANDLERS:
        spec = body.get(kind)
        if isinstance(spec, dict):
            normal = {**_DEFAULTS[kind], **spec}
            if "port" in normal:
                normal["port"] = _named_port(normal["port"], ports)
            if kind == "exec":
                normal = {"command": as_list(normal.get("command"))}
            return kind, sorted((str(k), repr(v)) for k, v in normal.items())
    return None


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m, include_init=False):
        ports = {
            str(p["name"]): p["containerPort"]
            for p in (as_map(p) for p in as_list(c.body.get("ports")))
            if "name" in p and "containerPort" in p
        }
        live = handler(c.body.get("livenessProbe"), ports)
        if live is not None and live == handler(c.body.get("readinessProbe"), ports):
            yield Hit(
                f"container {c.name!r} has the same liveness and readiness probe ({live[0]}): when it "
                "fails under load, the kubelet restarts pods that only needed to shed traffic",
                (*c.path, "livenessProbe"),
            )


RULE = Rule(
    id="identical-probes",
    summary="A container's liveness probe differs from its readiness probe",
    severity=Severity.WARNING,
    category="reliability",
    check=check,
    kinds=WORKLOADS,
)
