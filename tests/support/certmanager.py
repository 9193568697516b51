"""cert-manager's controller on the real node, built by testenv/certmanager/build.sh.

The controller runs in a restricted pod with the configuration the platform gives it: the `config`
block of deploy/cluster-services/values/cert-manager.yaml, mounted as a file the way the upstream
chart mounts it (the chart's controller-config.yaml fills in apiVersion and kind), and decoded
strictly by the controller, so a field its version does not know stops it. The CRDs are the same
release's, from the module. Its RBAC is the union of the upstream chart's ClusterRoles for the
controllers this build runs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from kbp import kube
from kbp.cluster.node import images
from support import podsecurity
from support.builds import built
from support.controlplane import ControlPlane
from support.realnode import cluster_identity, import_archive, ready_pod, remove_cluster_identity

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "testenv" / "certmanager" / "build.sh"
VALUES = ROOT / "deploy" / "cluster-services" / "values" / "cert-manager.yaml"
NAME = "cert-manager"
BINARY = "cert-manager-controller"
HEALTHZ_PORT = 9403
USER = 65532
CRD = "apiextensions.k8s.io/v1", "CustomResourceDefinition"


def build() -> Path:
    """The (cached) build directory: the controller and crds.yaml; fails, never skips."""
    return built(BUILD, BINARY, "crds.yaml")


def version() -> str:
    for line in (BUILD.parent / "go.mod").read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["github.com/cert-manager/cert-manager"]:
            return fields[1]
    raise AssertionError("testenv/certmanager/go.mod lacks github.com/cert-manager/cert-manager")


def load(plane: ControlPlane, built: Path, scratch: Path) -> str:
    """Wrap the controller as a one-layer image, import it into the node; its tag."""
    tag = f"kbp.local/cert-manager-controller:{version()}"
    archive = images.docker_archive(
        scratch / "cert-manager.tar", tag, {f"/{BINARY}": built / BINARY}, [f"/{BINARY}"]
    )
    import_archive(plane, archive)
    return tag


def crds(built: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((built / "crds.yaml").read_text()) if doc]


def install_crds(client: kube.KubeClient, definitions: list[dict[str, Any]]) -> None:
    """Apply the CRDs (the first alone, as lightkube's first decode of a kind must) until served."""
    kube.apply(client, definitions[0])
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda crd: kube.apply(client, crd), definitions[1:]))
    for crd in definitions:
        name = crd["metadata"]["name"]

        def established(name: str = name) -> bool | None:
            found = kube.find(client, *CRD, name)
            return (found is not None and kube.condition(found, "Established") == "True") or None

        kube.wait_for(established, timeout=60, what=f"CustomResourceDefinition {name} Established")


def remove_crds(client: kube.KubeClient, definitions: list[dict[str, Any]]) -> None:
    """Delete them (and every cert-manager object left) without waiting, all at once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda crd: kube.delete(client, *CRD, crd["metadata"]["name"]), definitions))


def platform_config() -> str:
    """The controller's configuration file as the upstream chart renders it from the platform's values."""
    config = dict(yaml.safe_load(VALUES.read_text())["config"])
    config.setdefault("apiVersion", "controller.config.cert-manager.io/v1alpha1")
    config.setdefault("kind", "ControllerConfiguration")
    return yaml.safe_dump(config)


RULES = [
    {"apiGroups": ["cert-manager.io"],
     "resources": ["certificates", "certificaterequests", "issuers", "clusterissuers"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": ["cert-manager.io"],
     "resources": ["certificates/status", "certificaterequests/status", "issuers/status",
                   "clusterissuers/status", "certificates/finalizers", "certificaterequests/finalizers"],
     "verbs": ["update", "patch"]},
    {"apiGroups": ["cert-manager.io"], "resources": ["signers"], "verbs": ["approve"],
     "resourceNames": ["issuers.cert-manager.io/*", "clusterissuers.cert-manager.io/*"]},
    {"apiGroups": ["acme.cert-manager.io"], "resources": ["orders"],
     "verbs": ["create", "delete", "get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["secrets"],
     "verbs": ["get", "list", "watch", "create", "update", "delete", "patch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
    {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["gateways", "httproutes"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["gateway.networking.k8s.io"],
     "resources": ["gateways/finalizers", "httproutes/finalizers"], "verbs": ["update"]},
]  # fmt: skip


def objects(namespace: str, image: str) -> list[dict[str, Any]]:
    """ServiceAccount, RBAC (named after the namespace: cluster-scoped), config and the controller's pod."""
    args = [
        "--config=/var/cert-manager/config/config.yaml",
        f"--cluster-resource-namespace={namespace}",
        "--leader-elect=false",
        "--v=2",
    ]
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "Never",
        "args": args,
        "ports": [{"name": "http-healthz", "containerPort": HEALTHZ_PORT}],
        "readinessProbe": {"httpGet": {"path": "/livez", "port": HEALTHZ_PORT}, "periodSeconds": 1},
        "securityContext": podsecurity.restricted(USER),
        "volumeMounts": [{"name": "config", "mountPath": "/var/cert-manager/config"}],
        "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }
    return [
        *cluster_identity(NAME, namespace, RULES),
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": namespace},
            "data": {"config.yaml": platform_config()},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": NAME, "namespace": namespace, "labels": {"app.kubernetes.io/name": NAME}},
            "spec": {
                "serviceAccountName": NAME,
                "containers": [container],
                "volumes": [{"name": "config", "configMap": {"name": NAME}}],
                "terminationGracePeriodSeconds": 1,
            },
        },
    ]


def start(client: kube.KubeClient, namespace: str, image: str) -> None:
    """Create the controller's objects; `ready` waits for it."""
    for obj in objects(namespace, image):
        kube.apply(client, obj)


def ready(client: kube.KubeClient, namespace: str) -> None:
    ready_pod(client, NAME, namespace)


def remove_cluster_scoped(client: kube.KubeClient, namespace: str) -> None:
    """The ClusterRole and binding; the namespace's deletion takes the rest."""
    remove_cluster_identity(client, NAME, namespace)
