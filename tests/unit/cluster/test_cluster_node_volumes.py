"""The real node's volume provisioner's decisions: which claims it serves, what PV, what it deletes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kbp.cluster import objects
from kbp.cluster.node import volumes

ROOT = Path("/state/node/volumes")


def _claim(annotated: bool = True, **spec: Any) -> dict[str, Any]:
    annotations = {volumes.PROVISIONER_ANNOTATION: volumes.PROVISIONER} if annotated else {}
    return {
        "metadata": {
            "name": "data-redis-0",
            "namespace": "dev-ann",
            "uid": "u-1",
            "annotations": annotations,
        },
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "resources": {"requests": {"storage": "256Mi"}},
            **spec,
        },
        "status": {"phase": "Pending"},
    }


def test_only_claims_handed_to_it_and_still_unbound_are_pending() -> None:
    bound = _claim(volumeName="pvc-u-1")
    other = _claim()
    other["metadata"]["annotations"] = {volumes.PROVISIONER_ANNOTATION: "ebs.csi.aws.com"}
    deleting = _claim()
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    wanted = _claim()
    assert volumes.pending([bound, other, deleting, _claim(annotated=False), wanted]) == [wanted]


def test_the_volume_is_local_on_the_node_prebound_to_the_claim_with_its_size_and_class() -> None:
    pv = volumes.volume_for(_claim(), ROOT / "pvc-u-1", "kbp-node", "Delete")
    spec = pv["spec"]
    assert pv["metadata"]["name"] == "pvc-u-1"
    assert pv["metadata"]["annotations"] == {volumes.PROVISIONED_BY: volumes.PROVISIONER}
    assert spec["local"] == {"path": str(ROOT / "pvc-u-1")}
    assert spec["capacity"] == {"storage": "256Mi"}
    assert spec["storageClassName"] == "standard"
    assert spec["persistentVolumeReclaimPolicy"] == "Delete"
    assert spec["claimRef"]["uid"] == "u-1"
    assert spec["claimRef"]["namespace"] == "dev-ann"
    (term,) = spec["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert term["matchExpressions"] == [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["kbp-node"]}
    ]


def _pv(name: str, phase: str, policy: str = "Delete", mine: bool = True, path: str = "") -> dict[str, Any]:
    annotations = {volumes.PROVISIONED_BY: volumes.PROVISIONER} if mine else {}
    return {
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"persistentVolumeReclaimPolicy": policy, "local": {"path": path or str(ROOT / name)}},
        "status": {"phase": phase},
    }


def test_it_deletes_only_its_own_released_volumes_whose_policy_is_delete() -> None:
    gone = _pv("pvc-a", "Released")
    kept = [_pv("pvc-b", "Bound"), _pv("pvc-c", "Released", "Retain"), _pv("pvc-d", "Released", mine=False)]
    assert volumes.released([gone, *kept]) == [gone]


def test_it_removes_a_directory_only_inside_its_root_and_named_for_the_volume() -> None:
    assert volumes.path_of(_pv("pvc-a", "Released"), ROOT) == ROOT / "pvc-a"
    assert volumes.path_of(_pv("pvc-a", "Released", path="/"), ROOT) is None
    assert volumes.path_of(_pv("pvc-a", "Released", path=str(ROOT / "pvc-b")), ROOT) is None


def test_a_real_nodes_default_class_names_the_node_provisioner_and_kwok_keeps_host_path() -> None:
    assert objects.default_storage_class()["provisioner"] == "kubernetes.io/host-path"
    assert objects.default_storage_class(volumes.PROVISIONER)["provisioner"] == volumes.PROVISIONER
