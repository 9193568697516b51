"""Objects a real node needs in the API: roles for CoreDNS and volumes, kube-dns, Service endpoints.

CoreDNS runs as a process in the node's network namespace (no registry to pull its image from),
so kube-dns is a selector-less Service whose EndpointSlice names the node's address. The
apiserver's `kubernetes` Service gets one too (its endpoint reconciler is off), pointing at the
relay that makes the apiserver reachable inside the namespace.
"""

from __future__ import annotations

from typing import Any

from kbp.cluster.node.config import CLUSTER_DNS

COREDNS_USER = "kbp:coredns"
VOLUMES_USER = "kbp:node-volumes"  # credentials.NODE_CLIENTS
MANAGED_BY = "kbp-real-node"


def _cluster_role(user: str, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    meta = {"name": user}
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": meta,
        "rules": rules,
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": user},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }
    return [role, binding]


def coredns_rbac() -> list[dict[str, Any]]:
    """Read access to what the kubernetes plugin watches (upstream's system:coredns role)."""
    rules = [
        {"apiGroups": [""], "resources": ["services", "pods", "namespaces"], "verbs": ["list", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
    ]
    return _cluster_role(COREDNS_USER, rules)


def volumes_rbac() -> list[dict[str, Any]]:
    """What the volume provisioner (kbp.cluster.node.volumes) reads and writes, no more."""
    rules = [
        {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "create", "delete"]},
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list"]},
    ]
    return _cluster_role(VOLUMES_USER, rules)


def kube_dns_service() -> dict[str, Any]:
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
        "spec": {"clusterIP": CLUSTER_DNS, "ports": ports},
    }


def endpoint_slice(
    service: str, namespace: str, address: str, ports: list[tuple[str, int, str]]
) -> dict[str, Any]:
    """An EndpointSlice for a selector-less Service: one ready address, (name, port, protocol) each."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service}-kbp-node",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": service,
                "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
            },
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
        "ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto in ports],
    }


def all_objects(node_ip: str, apiserver_port: int) -> list[dict[str, Any]]:
    dns = endpoint_slice("kube-dns", "kube-system", node_ip, [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")])
    api = endpoint_slice("kubernetes", "default", node_ip, [("https", apiserver_port, "TCP")])
    return [*coredns_rbac(), *volumes_rbac(), kube_dns_service(), dns, api]
