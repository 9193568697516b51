"""Objects a real node needs in the API: the volume provisioner's role, the apiserver's endpoint.

The apiserver's `kubernetes` Service gets an EndpointSlice of its own (its endpoint reconciler is
off), pointing at the relay that makes the apiserver reachable inside the node's namespace. Cluster
DNS is a Deployment of its own (kbp.cluster.node.dns).
"""

from __future__ import annotations

from typing import Any

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


def volumes_rbac() -> list[dict[str, Any]]:
    """What the volume provisioner (kbp.cluster.node.volumes) reads and writes, no more."""
    rules = [
        {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["persistentvolumes"], "verbs": ["get", "list", "create", "delete"]},
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": ["get", "list"]},
    ]
    return _cluster_role(VOLUMES_USER, rules)


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
    api = endpoint_slice("kubernetes", "default", node_ip, [("https", apiserver_port, "TCP")])
    return [*volumes_rbac(), api]
