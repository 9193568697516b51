"""The node's network namespace: a veth to the host, no route out, forwarding on for the bridge.

Everything the node adds to networking (the CNI bridge, pod veths, kube-proxy's and kubelet's
iptables rules) lives in this namespace and goes when it is deleted.
"""

from __future__ import annotations

import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kbp.cluster.components import SERVICE_CIDR
from kbp.cluster.node.config import BRIDGE

# One /30 per node, host end .1 and node end .2; the index comes from the state directory's id,
# so two clusters on one machine get different links (and a clash is found, not guessed).
NODE_LINKS = ipaddress.ip_network("10.250.0.0/16")


class NetworkError(OSError):
    """The namespace or its link could not be made; the message says which command failed."""


@dataclass(frozen=True)
class Link:
    """The node's namespace and the two ends of its veth."""

    netns: str
    host_if: str
    host_ip: str
    node_ip: str

    @property
    def netns_path(self) -> Path:
        return Path("/run/netns") / self.netns


def link_for(node_id: str, offset: int = 0) -> Link:
    """The namespace and /30 for a node id (pure); `offset` steps past a subnet in use."""
    subnets = NODE_LINKS.num_addresses // 4
    index = (int(node_id, 16) + offset) % subnets
    base = NODE_LINKS.network_address + 4 * index
    return Link(f"kbp-{node_id}", f"kbp{node_id}", str(base + 1), str(base + 2))


def used_addresses() -> set[str]:
    """Every IPv4 address configured on the host (to avoid a /30 someone already has)."""
    out = _run("ip", "-4", "-o", "addr", "show")
    return {line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3}


def netns_exists(name: str) -> bool:
    return (Path("/run/netns") / name).exists()


def create(link: Link) -> None:
    """The namespace, the veth (eth0 inside), addresses, and IPv4 forwarding inside only."""
    ns = link.netns
    _run("ip", "netns", "add", ns)
    _run("ip", "link", "add", link.host_if, "type", "veth", "peer", "name", "eth0", "netns", ns)
    _run("ip", "addr", "add", f"{link.host_ip}/30", "dev", link.host_if)
    _run("ip", "link", "set", link.host_if, "up")
    _run("ip", "-n", ns, "addr", "add", f"{link.node_ip}/30", "dev", "eth0")
    _run("ip", "-n", ns, "link", "set", "eth0", "up")
    _run("ip", "-n", ns, "link", "set", "lo", "up")
    # The node's own connections to ClusterIPs need a route before kube-proxy's OUTPUT rules
    # rewrite them. Through the pods' bridge (made here; the CNI plugin adopts it by name):
    # whatever no rule rewrote finds no neighbour there and is dropped, never sent out.
    _run("ip", "-n", ns, "link", "add", BRIDGE, "type", "bridge")
    _run("ip", "-n", ns, "link", "set", BRIDGE, "up")
    _run("ip", "-n", ns, "route", "add", SERVICE_CIDR, "dev", BRIDGE)
    # The bridge's pods are routed through the namespace; it has no default route, so nothing leaves.
    _run("nsenter", f"--net={link.netns_path}", "--", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")


def delete(link: Link) -> list[str]:
    """Remove the veth and the namespace (idempotent); return what could not be removed."""
    errors = []
    if Path(f"/sys/class/net/{link.host_if}").exists():
        errors += _try("ip", "link", "del", link.host_if)
    if netns_exists(link.netns):
        errors += _try("ip", "netns", "del", link.netns)
    return errors


def _run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NetworkError(f"`{' '.join(argv)}` failed: {result.stderr.strip()}")
    return result.stdout


def _try(*argv: str) -> list[str]:
    try:
        _run(*argv)
    except NetworkError as exc:
        return [str(exc)]
    return []
