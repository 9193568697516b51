"""A NetworkPolicy engine for tests on the throwaway real node: kube-router's firewall only.

kube-router v2.1.0 is the only version the module proxy serves and it has reported security
flaws: it runs here inside the node's namespaces, in tests, and is never shipped or recommended.
It programs iptables and ipset in the node's network namespace (bridged pod traffic passes
iptables there: bridge-nf-call-iptables is on), so policies between pods on the node hold.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from kbp.cluster import processes
from kbp.cluster.components import SERVICE_CIDR, Component
from kbp.cluster.node import enter
from kbp.cluster.readiness import http_ok, wait
from support.controlplane import ControlPlane
from support.realnode import node_of

HEALTH_PORT = 20244
START_TIMEOUT = 60.0


@contextmanager
def enforcing(plane: ControlPlane) -> Iterator[None]:
    """Run kube-router's firewall on the plane's real node until the block ends."""
    node = node_of(plane)
    argv = (
        *enter.argv(node, plane.layout),
        str(node.bin_dir / "kube-router"),
        *("--run-firewall=true", "--run-router=false", "--run-service-proxy=false"),
        *("--enable-cni=false", "--enable-pod-egress=false"),
        f"--hostname-override={node.name}",
        f"--kubeconfig={plane.kubeconfig}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        f"--health-port={HEALTH_PORT}",
    )
    handle = processes.spawn(Component("kube-router", argv, "", tls=False), plane.layout)
    try:
        healthz = f"http://{node.ip}:{HEALTH_PORT}/healthz"
        wait(
            handle, lambda: http_ok(healthz, None), "kube-router's healthz", time.monotonic() + START_TIMEOUT
        )
        yield
    finally:
        processes.stop(handle, plane.layout)
