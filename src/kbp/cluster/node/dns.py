"""Cluster DNS as clusters run it: CoreDNS as a Deployment in kube-system behind the kube-dns Service.

The pods carry `k8s-app: kube-dns`, as kubeadm's do, so a NetworkPolicy that lets DNS out to those
pods (kbp's own `kbp-allow`) lets it out here too. The image is the CoreDNS binary built in
`testenv/node` (only the plugins used), wrapped as a one-layer image and imported at `up`, as the
pause image is: there is no registry to pull it from. CoreDNS reads the API in-cluster, with its
ServiceAccount's token through the `kubernetes` Service; its ClusterRole is upstream's.
"""

from __future__ import annotations

from typing import Any

from kbp.cluster.node.config import CLUSTER_DNS, CLUSTER_DOMAIN

NAMESPACE = "kube-system"
NAME = "coredns"  # Deployment, ServiceAccount and ConfigMap, as kubeadm names them
ROLE = "system:coredns"
LABELS = {"k8s-app": "kube-dns"}  # what NetworkPolicies (kbp.namespaces.isolation) select
VERSION = "v1.15.0"  # testenv/node/go.mod's github.com/coredns/coredns; a unit test checks they agree
IMAGE = f"kbp.local/coredns:{VERSION}"
HEALTH_PORT = 8080
READY_PORT = 8181
UID = 65532  # upstream's image runs as nonroot (65532)
CONFIG_DIR = "/etc/coredns"


def corefile() -> str:
    """Services and pods of the cluster; no upstream: the node's namespace has no route out."""
    return f"""\
.:53 {{
    errors
    health :{HEALTH_PORT}
    ready :{READY_PORT}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
    loadbalance
}}
"""


def _meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, **extra}


def rbac() -> list[dict[str, Any]]:
    """The ServiceAccount and upstream's system:coredns ClusterRole: list and watch, nothing more."""
    rules = [
        {"apiGroups": [""], "resources": ["services", "pods", "namespaces"], "verbs": ["list", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]},
    ]
    group = "rbac.authorization.k8s.io"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME)},
        {"apiVersion": f"{group}/v1", "kind": "ClusterRole", "metadata": {"name": ROLE}, "rules": rules},
        {
            "apiVersion": f"{group}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": ROLE},
            "roleRef": {"apiGroup": group, "kind": "ClusterRole", "name": ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
        },
    ]


def config_map() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(NAME),
        "data": {"Corefile": corefile()},
    }


def deployment(node_selector: dict[str, str]) -> dict[str, Any]:
    """One replica (one node), restricted-compliant: non-root, binding :53 through the pod's own
    `ip_unprivileged_port_start` (a safe, namespaced sysctl) instead of a capability."""

    def probe(path: str, port: int, period: int) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": port}, "periodSeconds": period, "timeoutSeconds": 1}

    container = {
        "name": NAME,
        "image": IMAGE,
        "imagePullPolicy": "Never",  # imported at `up`; no registry
        "args": ["-conf", f"{CONFIG_DIR}/Corefile"],
        "ports": [
            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
            {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
        ],
        "readinessProbe": probe("/ready", READY_PORT, 1),
        "livenessProbe": {**probe("/health", HEALTH_PORT, 10), "failureThreshold": 5},
        "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "170Mi"}},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        },
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
    }
    spec = {
        "serviceAccountName": NAME,
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": node_selector,
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
        "dnsPolicy": "Default",  # not itself: the node's resolv.conf
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
            "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "53"}],
        },
        "containers": [container],
        "volumes": [{"name": "config", "configMap": {"name": NAME}}],
        "terminationGracePeriodSeconds": 5,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, labels=dict(LABELS)),
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": dict(LABELS)},
            "template": {"metadata": {"labels": dict(LABELS)}, "spec": spec},
        },
    }


def service() -> dict[str, Any]:
    """kube-dns at the address kubelet's clusterDNS names, selecting the CoreDNS pods."""
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": "dns"},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": "dns-tcp"},
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("kube-dns", labels=dict(LABELS)),
        "spec": {"clusterIP": CLUSTER_DNS, "selector": dict(LABELS), "ports": ports},
    }


def all_objects(node_selector: dict[str, str]) -> list[dict[str, Any]]:
    return [*rbac(), config_map(), service(), deployment(node_selector)]
