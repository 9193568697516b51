"""Traefik v3 as the Gateway API controller on the real node, built by testenv/gateway/build.sh.

The edge chart (deploy/cluster-services/charts/edge) makes the GatewayClass and the Gateway; this
module runs Traefik in a pod beside it, with one entry point per listener of that Gateway: Traefik
serves a listener only on an entry point of the same port, so the ports are read from the Gateway
the chart made, never written twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kbp import kube
from kbp.cluster.node import images
from support import podsecurity
from support.builds import built
from support.controlplane import ControlPlane
from support.realnode import cluster_identity, import_archive, ready_pod, remove_cluster_identity

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "testenv" / "gateway" / "build.sh"
CONTROLLER = "traefik.io/gateway-controller"
NAME = "traefik"
PING_PORT = 9000
USER = 65532


def binary() -> Path:
    """The (cached) Traefik build; fails, never skips, when the build fails."""
    return built(BUILD, "traefik") / "traefik"


def load(plane: ControlPlane, scratch: Path) -> str:
    """Wrap the binary as an image, import it into the node; its tag."""
    version = _version()
    tag = f"kbp.local/traefik:{version}"
    archive = images.docker_archive(scratch / "traefik.tar", tag, {"/traefik": binary()}, ["/traefik"])
    import_archive(plane, archive)
    return tag


def _version() -> str:
    for line in (BUILD.parent / "go.mod").read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["github.com/traefik/traefik/v3"]:
            return fields[1]
    raise AssertionError("testenv/gateway/go.mod lacks github.com/traefik/traefik/v3")


def entry_points(gateway: dict[str, Any]) -> list[str]:
    """Traefik's entry-point flags for the Gateway's listeners: one per port."""
    ports = sorted({int(listener["port"]) for listener in gateway["spec"]["listeners"]})
    assert PING_PORT not in ports, f"a listener takes port {PING_PORT}, Traefik's ping entry point"
    return [f"--entryPoints.p{port}.address=:{port}/tcp" for port in ports]


def objects(namespace: str, image: str, gateway: dict[str, Any]) -> list[dict[str, Any]]:
    """ServiceAccount, RBAC (named after the namespace: cluster-scoped) and Traefik's pod."""
    rules = [
        {"apiGroups": [""], "resources": ["namespaces", "services", "secrets", "configmaps"],
         "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
         "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["gateway.networking.k8s.io"], "resources": ["*/status"], "verbs": ["update", "patch"]},
    ]  # fmt: skip
    args = [
        "--global.checkNewVersion=false",
        "--global.sendAnonymousUsage=false",
        "--providers.kubernetesGateway=true",
        "--ping=true",
        "--ping.entryPoint=ping",
        f"--entryPoints.ping.address=:{PING_PORT}/tcp",
        "--log.level=INFO",
        "--log.noColor=true",
        *entry_points(gateway),
    ]
    probe = {"httpGet": {"path": "/ping", "port": PING_PORT}, "periodSeconds": 1}
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "Never",
        "args": args,
        "readinessProbe": probe,
        "securityContext": podsecurity.restricted(USER),
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    }
    # The listeners' ports are below 1024: let the unprivileged user bind them (a namespaced, safe
    # sysctl) instead of granting NET_BIND_SERVICE.
    pod_security = {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]}
    return [
        *cluster_identity(NAME, namespace, rules),
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": NAME, "namespace": namespace, "labels": {"app.kubernetes.io/name": NAME}},
            "spec": {
                "serviceAccountName": NAME,
                "securityContext": pod_security,
                "containers": [container],
                "terminationGracePeriodSeconds": 1,
            },
        },
    ]


def run(client: kube.KubeClient, namespace: str, image: str, gateway: dict[str, Any]) -> str:
    """Start Traefik for `gateway`; its pod IP once Ready."""
    for obj in objects(namespace, image, gateway):
        kube.apply(client, obj)
    pod = ready_pod(client, NAME, namespace)
    return str(pod["status"]["podIP"])


def remove_cluster_scoped(client: kube.KubeClient, namespace: str) -> None:
    """The ClusterRole and binding; the namespace's deletion takes the rest."""
    remove_cluster_identity(client, NAME, namespace)
