"""The Gateway API on a local cluster, so the journal chart's default HTTPRoute installs as written.

The CRDs are the standard-channel ones testenv/build.sh puts beside the binaries. The rest is what
the edge release gives a real cluster (deploy/cluster-services/charts/edge with the dev
environment): GatewayClass `envoy`, Gateway `public` in envoy-gateway-system with an `https`
listener for `*.dev.localhost`, and the role that lets `edit` manage routes. These names must match
the journal chart's default `exposure.httproute.gateway` and the edge chart;
tests/integration/test_platform_fit.py renders both and compares. No controller runs here: routes
attach to the Gateway, nothing proxies them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from kbp import kube

CRDS_FILE = "gateway-api-crds.yaml"
NAMESPACE = "envoy-gateway-system"
GATEWAY = "public"
GATEWAY_CLASS = "envoy"
CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"
LISTENER_HOSTNAME = "*.dev.localhost"
CERTIFICATE_SECRET = "public-tls"  # noqa: S105 -- a Secret name, no secret
ROUTE_EDITOR_ROLE = "gateway-api-route-editor"
GROUP = "gateway.networking.k8s.io"
LABELS = {"app.kubernetes.io/name": "edge", "app.kubernetes.io/managed-by": "kbp"}

Wait = Callable[[Callable[[], bool], str], None]


def crds(bin_dir: Path) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions of the Gateway API release testenv ships."""
    path = bin_dir / CRDS_FILE
    # libyaml when PyYAML has it: the file is over a megabyte, six times faster to read.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    docs = [d for d in yaml.load_all(path.read_text(), Loader=loader) if d]
    return [d for d in docs if d.get("kind") == "CustomResourceDefinition"]


def edge_objects() -> list[dict[str, Any]]:
    """What the edge release installs, on its dev values."""
    allowed = {"namespaces": {"from": "All"}}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": dict(LABELS)}},
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "GatewayClass",
            "metadata": {"name": GATEWAY_CLASS, "labels": dict(LABELS)},
            "spec": {"controllerName": CONTROLLER},
        },
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Gateway",
            "metadata": {"name": GATEWAY, "namespace": NAMESPACE, "labels": dict(LABELS)},
            "spec": {
                "gatewayClassName": GATEWAY_CLASS,
                "listeners": [
                    {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": allowed},
                    {
                        "name": "https",
                        "protocol": "HTTPS",
                        "port": 443,
                        "hostname": LISTENER_HOSTNAME,
                        "tls": {"mode": "Terminate", "certificateRefs": [{"name": CERTIFICATE_SECRET}]},
                        "allowedRoutes": allowed,
                    },
                ],
            },
        },
        route_editor_role(),
    ]


def route_editor_role() -> dict[str, Any]:
    """Aggregated into `edit` and `admin`: the built-in roles know nothing of CRDs."""
    aggregate = {
        "rbac.authorization.k8s.io/aggregate-to-edit": "true",
        "rbac.authorization.k8s.io/aggregate-to-admin": "true",
    }
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": ROUTE_EDITOR_ROLE, "labels": {**LABELS, **aggregate}},
        "rules": [
            {
                "apiGroups": [GROUP],
                "resources": ["httproutes", "grpcroutes"],
                "verbs": ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
            },
            {
                "apiGroups": [GROUP],
                "resources": ["httproutes/status", "grpcroutes/status"],
                "verbs": ["get", "list", "watch"],
            },
        ],
    }


def install(client: kube.KubeClient, bin_dir: Path, wait: Wait) -> None:
    """Apply the CRDs, wait until the API serves them, then the edge objects."""
    definitions = crds(bin_dir)
    # The API server spends most of a second on each (schemas of hundreds of fields): four at a time
    # halve the wait. The first goes alone, as lightkube's first decode of a kind must.
    kube.apply(client, definitions[0])
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda crd: kube.apply(client, crd), definitions[1:]))
    for crd in definitions:
        name = crd["metadata"]["name"]
        wait(_established(client, name), f"CustomResourceDefinition {name} Established")
    for obj in edge_objects():
        kube.apply(client, obj)


def _established(client: kube.KubeClient, name: str) -> Callable[[], bool]:
    def check() -> bool:
        crd = kube.find(client, "apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        return crd is not None and kube.condition(crd, "Established") == "True"

    return check
