"""What makes a kbp namespace a tenant's and nothing more, as data: Pod Security labels and the
NetworkPolicies every namespace kbp creates gets (`kbp user add`, `kbp ns create`, `kbp dev up`).

Pod Security Admission is built into the API server: the namespace's labels choose the level. Each
mode (enforce, audit, warn) is pinned to the cluster's minor version, so an upgrade of the API
server never changes what a namespace admits until the platform re-pins it. `restricted` is the
default; `baseline` only for a namespace the platform exempts (deploy/tenancy refuses it otherwise).

NetworkPolicies are additive: `kbp-default-deny` isolates every pod for ingress and egress, and
`kbp-allow` lets back in DNS, traffic within the namespace and the gateway's namespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from kbp import metadata

PSA_PREFIX = "pod-security.kubernetes.io"
MODES = ("enforce", "audit", "warn")
DNS_NAMESPACE = "kube-system"
DNS_POD_LABELS = {"k8s-app": "kube-dns"}  # CoreDNS keeps kube-dns's label
_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace
DENY_NAME = "kbp-default-deny"
ALLOW_NAME = "kbp-allow"
_VERSION = re.compile(r"^v1\.(0|[1-9][0-9]*)$")


class Level(StrEnum):
    restricted = "restricted"
    baseline = "baseline"  # only for namespaces the platform exempts


def minor_version(major: int, minor: int) -> str:
    """The Pod Security version label for a cluster: `v1.37`."""
    version = f"v{major}.{minor}"
    if not _VERSION.match(version):
        raise ValueError(f'"{version}": not a Kubernetes 1.x version (expected v1.<minor>)')
    return version


def pod_security_labels(level: Level, version: str) -> dict[str, str]:
    """enforce, audit and warn at one level, each pinned to `version` (v1.<minor>)."""
    if not _VERSION.match(version):
        raise ValueError(f'"{version}": not a Pod Security version (expected v1.<minor>, e.g. v1.37)')
    labels = {}
    for mode in MODES:
        labels[f"{PSA_PREFIX}/{mode}"] = level.value
        labels[f"{PSA_PREFIX}/{mode}-version"] = version
    return labels


def has_pod_security(namespace: Mapping[str, Any]) -> bool:
    """Whether the namespace already carries an enforce level (then kbp leaves its labels alone)."""
    labels = namespace.get("metadata", {}).get("labels") or {}
    return f"{PSA_PREFIX}/enforce" in labels


def network_policies(
    namespace: str, *, labels: Mapping[str, str], gateway_namespace: str | None = None
) -> list[dict[str, Any]]:
    """Default deny both ways, then DNS, the namespace itself and the gateway's namespace (by
    default where the cluster services run the shared Gateway's proxies: kbp.cluster.gateway)."""
    if gateway_namespace is None:
        from kbp.cluster import gateway as edge  # noqa: PLC0415 -- it imports the API client; callers do too

        gateway_namespace = edge.NAMESPACE
    same_namespace: dict[str, Any] = {"podSelector": {}}
    dns = {
        "to": [
            {
                "namespaceSelector": {"matchLabels": {_NAME_LABEL: DNS_NAMESPACE}},
                "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    gateway = {"namespaceSelector": {"matchLabels": {_NAME_LABEL: gateway_namespace}}}
    return [
        _policy(DENY_NAME, namespace, labels, {}),
        _policy(
            ALLOW_NAME,
            namespace,
            labels,
            {
                "ingress": [{"from": [same_namespace, gateway]}],
                "egress": [{"to": [same_namespace]}, dns],
            },
        ),
    ]


def _policy(name: str, namespace: str, labels: Mapping[str, str], rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**metadata.managed_selector(), **labels},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], **rules},
    }
