"""Volumes for the real node's claims: a `local` PersistentVolume per claim, on the node's disk.

KCM's in-tree host-path provisioner, which the kwok-only cluster uses, makes each volume a
root-owned directory with mode 0750, and kubelet applies no `fsGroup` to host-path volumes: a
non-root pod (Redis as uid 999, as Pod Security `restricted` wants) cannot write its own claim.
kubelet does apply `fsGroup` to `local` volumes, as it does to a cloud CSI driver's, so with a
real node the default StorageClass names this provisioner instead.

`python -m kbp.cluster.node.volumes KUBECONFIG DIRECTORY NODE READY_FILE` follows the external-
provisioner protocol: the PV controller marks a claim it found no volume for with
`volume.kubernetes.io/storage-provisioner`; this makes `DIRECTORY/<pv>` and a PV bound to that
claim; when a PV it made is Released and its policy is Delete, it removes the directory and the PV.
It polls (one node, a handful of claims); the decisions are pure functions, tested alone.
"""

from __future__ import annotations

import shutil
import signal
import sys
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kbp.kube import KubeClient

PROVISIONER = "kbp.dev/node-local"
PROVISIONER_ANNOTATION = "volume.kubernetes.io/storage-provisioner"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
POLL_S = 0.5


def pending(claims: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Claims the PV controller handed to this provisioner and that have no volume yet."""
    return [
        claim
        for claim in claims
        if (claim["metadata"].get("annotations") or {}).get(PROVISIONER_ANNOTATION) == PROVISIONER
        and not claim["spec"].get("volumeName")
        and (claim.get("status") or {}).get("phase", "Pending") == "Pending"
        and not claim["metadata"].get("deletionTimestamp")
    ]


def volume_name(claim: Mapping[str, Any]) -> str:
    # Upstream provisioners' naming: one PV per claim, so a retried pass cannot make a second.
    return f"pvc-{claim['metadata']['uid']}"


def volume_for(claim: Mapping[str, Any], directory: Path, node: str, reclaim: str) -> dict[str, Any]:
    """A `local` PV on `node` at `directory`, pre-bound to `claim` (its size, modes and class)."""
    meta, spec = claim["metadata"], claim["spec"]
    affinity = {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume_name(claim), "annotations": {PROVISIONED_BY: PROVISIONER}},
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "volumeMode": spec.get("volumeMode", "Filesystem"),
            "storageClassName": spec.get("storageClassName", ""),
            "persistentVolumeReclaimPolicy": reclaim,
            "local": {"path": str(directory)},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [affinity]}]}},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
        },
    }


def released(volumes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Volumes this provisioner made whose claim is gone and whose policy says delete them."""
    return [
        pv
        for pv in volumes
        if (pv["metadata"].get("annotations") or {}).get(PROVISIONED_BY) == PROVISIONER
        and (pv.get("status") or {}).get("phase") == "Released"
        and pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete"
    ]


def path_of(pv: Mapping[str, Any], root: Path) -> Path | None:
    """The volume's directory, only if it lies directly in `root` (never delete anything else)."""
    path = Path(pv["spec"].get("local", {}).get("path", ""))
    return path if path.parent == root and path.name == pv["metadata"]["name"] else None


def reconcile(client: KubeClient, root: Path, node: str) -> None:
    """One pass: provision what is pending, delete what is released."""
    from kbp import kube  # noqa: PLC0415 -- lightkube loads only in the daemon

    listed = kube.list_objects(client, "storage.k8s.io/v1", "StorageClass")
    classes = {c["metadata"]["name"]: c for c in listed}
    for claim in pending(kube.list_objects(client, "v1", "PersistentVolumeClaim")):
        storage_class = classes.get(claim["spec"].get("storageClassName") or "", {})
        directory = root / volume_name(claim)
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o777)  # kubelet applies the pod's fsGroup; without one, any uid can write
        made = volume_for(claim, directory, node, storage_class.get("reclaimPolicy", "Delete"))
        try:
            kube.create(client, made)
        except kube.KubeError as err:
            if err.status != 409:  # made by the previous pass, whose claim the PV controller binds
                raise
    for gone in released(kube.list_objects(client, "v1", "PersistentVolume")):
        path = path_of(gone, root)
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)
        kube.delete(client, "v1", "PersistentVolume", gone["metadata"]["name"])


def main() -> None:
    from kbp import kube  # noqa: PLC0415

    kubeconfig, root, node, ready = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    root.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with kube.connect(kubeconfig) as client:
        while not stop.is_set():
            try:
                reconcile(client, root, node)
                ready.touch()
            except kube.KubeError as err:  # the next pass retries; say why in the log
                print(f"volumes: {err}", file=sys.stderr, flush=True)
            stop.wait(POLL_S)


if __name__ == "__main__":
    main()
