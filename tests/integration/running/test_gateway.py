"""The journal's HTTPRoute through a running Gateway controller, with the certificate cert-manager
issues: Traefik v3 on the real node serves the edge chart's Gateway, the journal chart's route
attaches to its HTTPS listener, and HTTPS reaches the UI and /api. cert-manager's controller (with
the platform's configuration) reads the Gateway's `cert-manager.io/cluster-issuer` annotation,
makes the listener's Certificate, has the cluster-issuers chart's `selfsigned` ClusterIssuer sign
it, and writes the Secret Traefik serves; clients trust only that Secret's `ca.crt`.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from support import certmanager, onnode, traefik
from support.controlplane import ControlPlane
from support.realnode import namespace, node_of

pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]

SERVICES = Path(__file__).parents[3] / "deploy" / "cluster-services" / "charts"
EDGE_CHART = SERVICES / "edge"
ISSUERS_CHART = SERVICES / "cluster-issuers"
GROUP = "gateway.networking.k8s.io/v1"
CERTS = "cert-manager.io/v1"


@dataclass(frozen=True)
class Edge:
    gateway_ns: str
    journal_ns: str
    address: str  # Traefik's pod IP, reachable inside the node's network
    ca: Path  # the ca.crt of the Secret cert-manager wrote for the listener
    host: str  # the journal's exposure.host


@pytest.fixture(scope="module")
def edge(
    real_cluster: ControlPlane, local_values: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    scratch = tmp_path_factory.mktemp("gateway")
    built = certmanager.build()
    definitions = certmanager.crds(built)
    with (
        real_cluster.client() as client,
        namespace(client) as gateway_ns,
        namespace(client) as cm_ns,
        ThreadPoolExecutor(max_workers=3) as pool,
    ):
        try:
            # The two images load into the node, and the API server takes the CRDs, while the
            # edge chart installs.
            cm_image = pool.submit(certmanager.load, real_cluster, built, scratch)
            traefik_image = pool.submit(traefik.load, real_cluster, scratch)
            crds = pool.submit(certmanager.install_crds, client, definitions)
            onnode.helm(
                real_cluster, "install", "edge", str(EDGE_CHART), "-n", gateway_ns,
                "--set", f"gatewayClassName={gateway_ns}",
                "--set", f"gatewayController={traefik.CONTROLLER}",
                "--set", f"routeEditorRole={gateway_ns}-route-editor",
            )  # fmt: skip
            crds.result()
            # The chart's defaults are the dev environment's: the `selfsigned` ClusterIssuer.
            onnode.helm(real_cluster, "install", "cluster-issuers", str(ISSUERS_CHART), "-n", cm_ns)
            certmanager.start(client, cm_ns, cm_image.result())
            gateway = kube.get(client, GROUP, "Gateway", "public", gateway_ns)
            address = traefik.run(client, gateway_ns, traefik_image.result(), gateway)
            ca = issued_ca(real_cluster, client, gateway, cm_ns, scratch)
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
            onnode.helm(real_cluster, "uninstall", "cluster-issuers", "-n", cm_ns, "--ignore-not-found")
            traefik.remove_cluster_scoped(client, gateway_ns)
            certmanager.remove_cluster_scoped(client, cm_ns)
            certmanager.remove_crds(client, definitions)


def https_listener(gateway: dict[str, Any]) -> dict[str, Any]:
    (listener,) = [item for item in gateway["spec"]["listeners"] if item["protocol"] == "HTTPS"]
    return dict(listener)


def issued_ca(
    plane: ControlPlane, client: kube.KubeClient, gateway: dict[str, Any], cm_ns: str, scratch: Path
) -> Path:
    """Wait for the Secret the HTTPS listener names to hold cert-manager's certificate; its ca.crt."""
    (ref,) = https_listener(gateway)["tls"]["certificateRefs"]
    namespace = gateway["metadata"]["namespace"]

    def issued() -> dict[str, Any] | None:
        cert = kube.find(client, CERTS, "Certificate", ref["name"], namespace)
        if cert is None or kube.condition(cert, "Ready") != "True":
            return None
        return kube.find(client, "v1", "Secret", ref["name"], namespace)

    def state() -> str:
        objects = onnode.kubectl(plane, "get", "certificates,certificaterequests,clusterissuers", "-A")
        logs = onnode.kubectl(plane, "logs", "-n", cm_ns, certmanager.NAME, "--tail", "30")
        return f"{objects}\ncert-manager's log:\n{logs}"

    secret = onnode.wait_for(issued, f"Certificate {namespace}/{ref['name']} Ready", state=state)
    ca = scratch / "ca.crt"
    ca.write_bytes(base64.b64decode(secret["data"]["ca.crt"]))
    return ca


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


def served_certificate(plane: ControlPlane, edge: Edge) -> bytes:
    """The certificate Traefik presents on port 443 for the journal's host (DER), verified against
    the Secret's ca.crt, from inside the node's network."""
    code = (
        "import sys, socket, ssl\n"
        "address, host, ca = sys.argv[1:4]\n"
        "context = ssl.create_default_context(cafile=ca)\n"
        "raw = socket.create_connection((address, 443), timeout=10)\n"
        "with context.wrap_socket(raw, server_hostname=host) as s:\n"
        "    sys.stdout.write(s.getpeercert(binary_form=True).hex())\n"
    )
    done = onnode.in_node(node_of(plane), sys.executable, "-c", code, edge.address, edge.host, str(edge.ca))
    assert done.returncode == 0, done.stderr
    return bytes.fromhex(done.stdout)


def test_the_listener_serves_the_certificate_cert_manager_issued_from_the_selfsigned_issuer(
    real_cluster: ControlPlane, edge: Edge
) -> None:
    with real_cluster.client() as client:
        gateway = kube.get(client, GROUP, "Gateway", "public", edge.gateway_ns)
        listener = https_listener(gateway)
        (ref,) = listener["tls"]["certificateRefs"]
        cert = kube.get(client, CERTS, "Certificate", ref["name"], edge.gateway_ns)
        secret = kube.get(client, "v1", "Secret", ref["name"], edge.gateway_ns)
    # The gateway-shim made the Certificate from the Gateway's annotation and listener.
    (owner,) = cert["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Gateway", "public", True)
    issuer = gateway["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert cert["spec"]["issuerRef"] == {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer}
    assert cert["spec"]["dnsNames"] == [listener["hostname"]]
    assert secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"]["annotations"]["cert-manager.io/issuer-name"] == issuer
    pem = base64.b64decode(secret["data"]["tls.crt"]).decode()
    # selfSigned: the certificate is its own CA, and exactly what Traefik presents.
    assert base64.b64decode(secret["data"]["ca.crt"]).decode() == pem
    der = ssl.PEM_cert_to_DER_cert(pem)
    assert served_certificate(real_cluster, edge) == der, "Traefik serves another certificate"


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
