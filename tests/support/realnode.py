"""Helpers for tests on the real node: a test image built here, pods that must run, their output."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.cluster.node import images
from kbp.cluster.node.images import import_image
from kbp.cluster.record import RealNode
from support.controlplane import ControlPlane

NODETEST_IMAGE = "kbp.local/nodetest:v1"  # testenv/node/cmd/nodetest: serve, lookup, get
PORT = 8080
TIMEOUT = 120.0


def node_of(plane: ControlPlane) -> RealNode:
    node = plane.cluster.node
    if node is None:
        raise AssertionError("this cluster has no real node (use the real_cluster fixture)")
    return node


def load_nodetest(plane: ControlPlane, tmp: Path) -> str:
    """Wrap the nodetest binary as an image and import it into the node; return its tag."""
    node = node_of(plane)
    archive = images.docker_archive(
        tmp / "nodetest.tar", NODETEST_IMAGE, {"/nodetest": node.bin_dir / "nodetest"}, ["/nodetest"]
    )
    import_archive(plane, archive)
    return NODETEST_IMAGE


def import_archive(plane: ControlPlane, archive: Path) -> None:
    """Import an image archive into the plane's real node (one import at a time: it is shared)."""
    with plane.importing_images():
        import_image(node_of(plane), archive)


def server_pod(name: str, namespace: str, labels: dict[str, str]) -> dict[str, Any]:
    """nodetest serving HTTP, ready once its readiness probe's GET /healthz answers."""
    probe = {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 1}
    container = {
        "name": "app",
        "image": NODETEST_IMAGE,
        "imagePullPolicy": "Never",
        "args": ["serve", str(PORT)],
        "ports": [{"containerPort": PORT}],
        "readinessProbe": probe,
        "livenessProbe": {**probe, "periodSeconds": 5},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [container], "terminationGracePeriodSeconds": 1},
    }


def ready_pod(client: kube.KubeClient, name: str, namespace: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        pod = kube.find(client, "v1", "Pod", name, namespace)
        return pod if pod is not None and kube.condition(pod, "Ready") == "True" else None

    return kube.wait_for(check, timeout=TIMEOUT, what=f"pod {namespace}/{name} Ready")


RBAC = "rbac.authorization.k8s.io/v1"


def cluster_identity(name: str, namespace: str, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A controller's ServiceAccount and its ClusterRole and binding, named `<namespace>-<name>` so
    that tests in several namespaces never share one."""
    cluster_name = f"{namespace}-{name}"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": cluster_name}, "rules": rules},
        {
            "apiVersion": RBAC,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": cluster_name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_name},
            "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
        },
    ]


def remove_cluster_identity(client: kube.KubeClient, name: str, namespace: str) -> None:
    """The ClusterRole and binding of `cluster_identity`; the namespace's deletion takes the rest."""
    kube.delete(client, RBAC, "ClusterRoleBinding", f"{namespace}-{name}")
    kube.delete(client, RBAC, "ClusterRole", f"{namespace}-{name}")


@contextmanager
def namespace(client: kube.KubeClient) -> Iterator[str]:
    name = f"rn-{secrets.token_hex(4)}"
    kube.apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    kube.wait_for(
        lambda: kube.find(client, "v1", "ServiceAccount", "default", name), timeout=TIMEOUT, what="default SA"
    )
    try:
        yield name
    finally:
        kube.delete(client, "v1", "Namespace", name)


def get_from_node(node: RealNode, url: str) -> str:
    """GET `url` from inside the node's network namespace (pod IPs, ClusterIPs); the body, or raise."""
    argv = node.in_network(str(node.bin_dir / "nodetest"), "get", url)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(f"GET {url} from the node failed: {result.stderr}")
    return result.stdout
