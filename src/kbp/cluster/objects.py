"""Objects the launcher puts into a fresh cluster: kwok nodes and the default StorageClass."""

from __future__ import annotations

from typing import Any

from kbp.cluster.components import KWOK_NODE_ANNOTATION

STORAGE_CLASS = "standard"
HOST_PATH = "kubernetes.io/host-path"
# ephemeral-storage: pods that request node disk (every kbp namespace makes them) must fit.
NODE_CAPACITY = {"cpu": "32", "memory": "256Gi", "ephemeral-storage": "200Gi", "pods": "110"}


def node_name(index: int) -> str:
    return f"kwok-node-{index}"


def fake_node(index: int, tainted: bool = False) -> dict[str, Any]:
    """A Node that kwok manages. Untainted when the fake nodes are all there is, so pods land here;
    tainted NoSchedule beside a real node, so pods land there unless they tolerate kwok.
    """
    name = node_name(index)
    key, value = KWOK_NODE_ANNOTATION
    node: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", key: value},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
        },
        "status": {"allocatable": dict(NODE_CAPACITY), "capacity": dict(NODE_CAPACITY)},
    }
    if tainted:
        node["spec"] = {"taints": [{"key": key, "value": value, "effect": "NoSchedule"}]}
    return node


def default_storage_class(provisioner: str = HOST_PATH) -> dict[str, Any]:
    """`standard`, provisioned in-tree by KCM's host-path provisioner; binds claims at once.

    Immediate binding: with kwok there is no kubelet to wait for, and the PV has no node affinity.
    A real node's cluster names its own provisioner (kbp.cluster.node.volumes), whose `local`
    volumes are on that node, the only one pods land on: binding at once still places them right.
    """
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
        },
        "provisioner": provisioner,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }
