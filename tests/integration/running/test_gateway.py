"""The journal's HTTPRoute through a running Gateway controller: Traefik v3 on the real node serves the
edge chart's Gateway, the journal chart's route attaches to its HTTPS listener, and HTTPS (verified
against the CA that signed the listener's certificate) reaches the UI and /api.

The certificate comes from a CA this test makes, not from cert-manager: cert-manager's controller
binary is a nested module the Go proxy does not serve (docs/real-node.md).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from support import onnode, traefik
from support.controlplane import ControlPlane
from support.realnode import namespace, node_of
from support.tlscerts import make_tls_files

pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]

EDGE_CHART = Path(__file__).parents[3] / "deploy" / "cluster-services" / "charts" / "edge"
GROUP = "gateway.networking.k8s.io/v1"


@dataclass(frozen=True)
class Edge:
    gateway_ns: str
    journal_ns: str
    address: str  # Traefik's pod IP, reachable inside the node's network
    ca: Path
    host: str  # the journal's exposure.host


@pytest.fixture(scope="module")
def edge(
    real_cluster: ControlPlane, local_values: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    scratch = tmp_path_factory.mktemp("gateway")
    with real_cluster.client() as client, namespace(client) as gateway_ns:
        try:
            onnode.helm(
                real_cluster, "install", "edge", str(EDGE_CHART), "-n", gateway_ns,
                "--set", f"gatewayClassName={gateway_ns}",
                "--set", f"gatewayController={traefik.CONTROLLER}",
                "--set", f"routeEditorRole={gateway_ns}-route-editor",
            )  # fmt: skip
            gateway = kube.get(client, GROUP, "Gateway", "public", gateway_ns)
            ca = listener_certificate(client, gateway, scratch)
            address = traefik.run(client, gateway_ns, traefik.load(real_cluster, scratch), gateway)
            with namespace(client) as journal_ns:
                onnode.install(
                    real_cluster, journal_ns, local_values,
                    f"exposure.httproute.gateway.namespace={gateway_ns}",
                    f"networkPolicy.ingressNamespace={gateway_ns}",
                )  # fmt: skip
                values = onnode.CHART / "values-dev.yaml"
                host = next(line.split(":", 1)[1].strip() for line in values.read_text().splitlines()
                            if line.strip().startswith("host:"))  # fmt: skip
                yield Edge(gateway_ns, journal_ns, address, ca, host)
        finally:
            onnode.helm(real_cluster, "uninstall", "edge", "-n", gateway_ns, "--ignore-not-found")
            traefik.remove_cluster_scoped(client, gateway_ns)


def listener_certificate(client: kube.KubeClient, gateway: dict[str, Any], scratch: Path) -> Path:
    """The Secret the HTTPS listener names, for its hostname, signed by a CA of this test's; the CA."""
    (listener,) = [item for item in gateway["spec"]["listeners"] if item["protocol"] == "HTTPS"]
    (ref,) = listener["tls"]["certificateRefs"]
    files = make_tls_files(scratch / "tls", ca_name="kbp gateway test CA", dns_names=(listener["hostname"],))
    data = {"tls.crt": files.cert.read_bytes(), "tls.key": files.key.read_bytes()}
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": ref["name"], "namespace": gateway["metadata"]["namespace"]},
        "data": {key: base64.b64encode(value).decode() for key, value in data.items()},
    }
    kube.apply(client, secret)
    return files.ca


def request(
    plane: ControlPlane, edge: Edge, method: str, path: str, body: dict[str, Any] | None = None,
    *, scheme: str = "https", host: str | None = None,
) -> tuple[int, str]:  # fmt: skip
    """One request to Traefik from inside the node's network, for `host` (Host and SNI); HTTPS trusts
    only the test's CA."""
    code = (
        "import sys, json, ssl, httpx\n"
        "scheme, address, host, ca, method, path, body = sys.argv[1:8]\n"
        "verify = ssl.create_default_context(cafile=ca)\n"
        "with httpx.Client(verify=verify, timeout=10) as client:\n"
        "    r = client.request(method, f'{scheme}://{address}{path}', headers={'Host': host},\n"
        "                       extensions={'sni_hostname': host}, json=json.loads(body) if body else None)\n"
        "print(r.status_code); print(r.text, end='')\n"
    )
    argv = [
        scheme,
        edge.address,
        host or edge.host,
        str(edge.ca),
        method,
        path,
        json.dumps(body) if body else "",
    ]
    done = onnode.in_node(node_of(plane), sys.executable, "-c", code, *argv)
    assert done.returncode == 0, done.stderr
    status, _, text = done.stdout.partition("\n")
    return int(status), text


def route_parent(client: kube.KubeClient, edge: Edge) -> dict[str, Any] | None:
    route = kube.get(client, GROUP, "HTTPRoute", "journal", edge.journal_ns)
    for parent in route.get("status", {}).get("parents") or []:
        if parent["controllerName"] == traefik.CONTROLLER:
            return dict(parent)
    return None


def programmed(client: kube.KubeClient, edge: Edge) -> dict[str, Any] | None:
    gateway = kube.get(client, GROUP, "Gateway", "public", edge.gateway_ns)
    return gateway if kube.condition(gateway, "Programmed") == "True" else None


def test_traefik_programs_the_gateway_and_accepts_the_charts_route(
    real_cluster: ControlPlane, edge: Edge
) -> None:
    with real_cluster.client() as client:
        gateway = onnode.wait_for(lambda: programmed(client, edge), "Gateway public Programmed")
        parent = onnode.wait_for(lambda: route_parent(client, edge), "the route's status from Traefik")
    conditions = {c["type"]: c["status"] for c in parent["conditions"]}
    assert conditions["Accepted"] == "True", parent
    assert conditions["ResolvedRefs"] == "True", parent
    assert parent["parentRef"]["sectionName"] == "https"
    listeners = {item["name"]: item for item in gateway["status"]["listeners"]}
    assert listeners["https"]["attachedRoutes"] == 1
    assert listeners["http"]["attachedRoutes"] == 0


def test_https_reaches_the_ui(real_cluster: ControlPlane, edge: Edge) -> None:
    last: list[str] = []

    def served() -> str | None:
        try:
            status, body = request(real_cluster, edge, "GET", "/")
        except AssertionError as exc:
            last[:] = [str(exc)[-2000:]]
            raise
        last[:] = [f"{status} {body[:200]}"]
        return body if status == 200 else None

    def state() -> str:
        logs = onnode.kubectl(real_cluster, "logs", "-n", edge.gateway_ns, traefik.NAME, "--tail", "40")
        return f"last answer: {last}; Traefik's log:\n{logs}"

    # Traefik applies a new configuration a moment after the route's status says Accepted.
    assert "<title>Journal</title>" in onnode.wait_for(served, "GET / through HTTPS", state=state)


def test_https_reaches_the_api_a_post_then_a_get(real_cluster: ControlPlane, edge: Edge) -> None:
    status, body = request(real_cluster, edge, "POST", "/api", {"text": "through the Gateway"})
    assert status == 201, body
    entry_id = json.loads(body)["id"]
    status, body = request(real_cluster, edge, "GET", f"/api/{entry_id}")
    assert status == 200, body
    assert json.loads(body)["text"] == "through the Gateway"


def test_only_the_https_listener_and_the_routes_host_reach_the_journal(
    real_cluster: ControlPlane, edge: Edge
) -> None:
    # The route attaches to the `https` listener alone: port 80 is served, but routes nothing there.
    assert request(real_cluster, edge, "GET", "/", scheme="http")[0] == 404
    # A host the listener covers but the route does not name.
    other = edge.host.replace("journal", "other", 1)
    assert request(real_cluster, edge, "GET", "/", host=other)[0] == 404
