"""Quota profiles: what one developer's namespace may consume, as a ResourceQuota plus one LimitRange.

Besides compute, the quota bounds the side doors: object counts (pods, PVCs, Secrets: each is
etcd space and controller work), node-local disk (ephemeral storage: logs, emptyDir, writable
layers fill the node's disk for every tenant on it), and Services that open a node port or a
cloud load balancer (none: the gateway is the way in).

The quota caps requests and limits, so every pod must state them; the LimitRange fills them in for
containers that do not, so a pod need not repeat what the profile already says. There is exactly one
LimitRange per namespace: with two, the defaults Kubernetes applies are not deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kbp import metadata

QUOTA_NAME = "kbp-quota"
LIMITS_NAME = "kbp-limits"


@dataclass(frozen=True)
class Profile:
    name: str
    cpu_requests: str
    memory_requests: str
    cpu_limits: str
    memory_limits: str
    pods: int
    storage: str  # total requested by PersistentVolumeClaims
    default_cpu: str  # a container's limit when it sets none
    default_memory: str
    default_cpu_request: str  # a container's request when it sets none
    default_memory_request: str
    secrets: int
    ephemeral_requests: str  # node-local disk: logs, emptyDir, the writable layer
    ephemeral_limits: str
    default_ephemeral: str  # a container's ephemeral-storage limit when it sets none
    default_ephemeral_request: str


# fmt: off
PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        # The fields in order; Helm keeps a Secret per release revision, hence the room for Secrets.
        Profile("small", "2", "4Gi", "4", "8Gi", 20, "20Gi", "500m", "512Mi", "100m", "128Mi",
                100, "10Gi", "20Gi", "1Gi", "64Mi"),
        Profile("medium", "4", "8Gi", "8", "16Gi", 50, "50Gi", "1", "1Gi", "250m", "256Mi",
                200, "20Gi", "40Gi", "2Gi", "128Mi"),
        Profile("large", "8", "16Gi", "16", "32Gi", 100, "100Gi", "2", "2Gi", "500m", "512Mi",
                400, "40Gi", "80Gi", "4Gi", "256Mi"),
    )
}
# fmt: on
DEFAULT_PROFILE = "small"


def profile(name: str) -> Profile:
    """The named profile; KeyError names the ones that exist."""
    try:
        return PROFILES[name]
    except KeyError:
        raise KeyError(
            f'quota profile "{name}" does not exist (expected one of: {", ".join(PROFILES)})'
        ) from None


def resource_quota(p: Profile, *, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Compute, disk and object caps; no LoadBalancer or NodePort Services (they reach outside)."""
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": QUOTA_NAME,
            "namespace": namespace,
            "labels": labels,
            "annotations": {metadata.QUOTA_PROFILE: p.name},
        },
        "spec": {
            "hard": {
                "requests.cpu": p.cpu_requests,
                "requests.memory": p.memory_requests,
                "limits.cpu": p.cpu_limits,
                "limits.memory": p.memory_limits,
                "requests.ephemeral-storage": p.ephemeral_requests,
                "limits.ephemeral-storage": p.ephemeral_limits,
                "pods": str(p.pods),
                "secrets": str(p.secrets),
                "requests.storage": p.storage,
                "persistentvolumeclaims": str(max(p.pods // 4, 1)),
                "services.loadbalancers": "0",
                "services.nodeports": "0",
            }
        },
    }


def limit_range(p: Profile, *, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """Defaults for containers that set no requests or limits; a container may not exceed the quota."""
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {
            "name": LIMITS_NAME,
            "namespace": namespace,
            "labels": labels,
            "annotations": {metadata.QUOTA_PROFILE: p.name},
        },
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {
                        "cpu": p.default_cpu,
                        "memory": p.default_memory,
                        "ephemeral-storage": p.default_ephemeral,
                    },
                    "defaultRequest": {
                        "cpu": p.default_cpu_request,
                        "memory": p.default_memory_request,
                        "ephemeral-storage": p.default_ephemeral_request,
                    },
                    "max": {
                        "cpu": p.cpu_limits,
                        "memory": p.memory_limits,
                        "ephemeral-storage": p.ephemeral_limits,
                    },
                }
            ]
        },
    }
