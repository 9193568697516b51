"""Claims on the real node: a non-root pod writes its own volume; deleting the claim removes it.

With KCM's host-path provisioner (the kwok-only default) the volume would be root's, mode 0750,
and uid 999 could not write it; the real node's default class makes `local` volumes instead,
to which kubelet applies the pod's fsGroup (kbp.cluster.node.volumes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kbp import kube
from kbp.cluster.node.config import NODE_NAME
from kbp.cluster.node.volumes import PROVISIONER
from support import localimages
from support.controlplane import ControlPlane
from support.podsecurity import restricted
from support.realnode import TIMEOUT, namespace


def _claim(ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": ns},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
    }


def _writer(ns: str, image: str) -> dict[str, Any]:
    container = {
        "name": "w",
        "image": image,
        "imagePullPolicy": "Never",
        "command": ["sh", "-c", "echo kept > /data/f && cat /data/f && id -u"],
        "securityContext": restricted(),
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "writer", "namespace": ns},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
            "containers": [container],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "terminationGracePeriodSeconds": 1,
        },
    }


def test_a_non_root_pod_writes_its_claim_and_deleting_the_claim_removes_the_volume(
    real_cluster: ControlPlane,
) -> None:
    refs = localimages.load(real_cluster, "redis")
    with real_cluster.client() as client, namespace(client) as ns:
        kube.create(client, _claim(ns))
        kube.create(client, _writer(ns, refs["redis"]))

        def finished() -> dict[str, Any] | None:
            pod = kube.get(client, "v1", "Pod", "writer", ns)
            return pod if pod.get("status", {}).get("phase") in ("Succeeded", "Failed") else None

        pod = kube.wait_for(finished, timeout=TIMEOUT, what="the writer pod to finish")
        logs = real_cluster.run("kubectl", "logs", "-n", ns, "writer", check=False).stdout
        assert pod["status"]["phase"] == "Succeeded", logs
        assert pod["spec"]["nodeName"] == NODE_NAME
        assert logs.split() == ["kept", "999"]
        claim = kube.get(client, "v1", "PersistentVolumeClaim", "data", ns)
        pv = kube.get(client, "v1", "PersistentVolume", claim["spec"]["volumeName"])
        assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == PROVISIONER
        directory = Path(pv["spec"]["local"]["path"])
        assert (directory / "f").read_text() == "kept\n"

        kube.delete(client, "v1", "Pod", "writer", ns)
        kube.wait_for(
            lambda: kube.find(client, "v1", "Pod", "writer", ns) is None or None,
            timeout=TIMEOUT,
            what="the writer pod gone",
        )
        kube.delete(client, "v1", "PersistentVolumeClaim", "data", ns)
        name = pv["metadata"]["name"]
        kube.wait_for(
            lambda: kube.find(client, "v1", "PersistentVolume", name) is None or None,
            timeout=TIMEOUT,
            what=f"{name} deleted",
        )
        assert not directory.exists()
