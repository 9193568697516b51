"""Tenant A cannot reach tenant B on the real node, by kbp's own default-deny NetworkPolicies.

Each tenant's namespace is the one `kbp user add` made, with `kbp-default-deny` and `kbp-allow`
(kbp.namespaces.isolation) and nothing added by hand; kube-router's firewall enforces them
(`netpol_cluster`, tests only). Each tenant runs a restricted server behind a Service. A pod in
A reaches A's Service (traffic within a namespace is allowed) and neither B's Service nor B's pod;
B's own pod reaches B's Service, and the node reaches both: the path exists, the policy cuts it;
once the admin deletes those two policies, A reaches B. Under the same policies a tenant's pod
resolves names through the CoreDNS pod (kbp.cluster.node.dns), and reaches that pod on port 53 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from kbp.cluster.node import dns
from kbp.cluster.record import RealNode
from kbp.namespaces import isolation
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique
from support.podsecurity import restricted
from support.realnode import PORT, get_from_node, load_nodetest, node_of, ready_pod, server_pod

POLICY_TIMEOUT = 60.0
SYNC_TIMEOUT = 30.0


@dataclass(frozen=True)
class Tenant:
    user: Onboarded
    service_ip: str
    pod_ip: str


def _service(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": PORT, "targetPort": PORT}]},
    }


def _tenant(plane: ControlPlane, directory: Path, name: str, team: str) -> Tenant:
    user = onboard(plane, directory, unique(name), "--team", team)
    with user.client() as client:
        for pod_name in ("web", "client"):
            pod = server_pod(pod_name, user.namespace, {"app": pod_name})
            pod["spec"]["containers"][0]["securityContext"] = restricted(user=10001)
            kube.create(client, pod)
        kube.create(client, _service(user.namespace))
        pod_ip = ready_pod(client, "web", user.namespace)["status"]["podIP"]
        ready_pod(client, "client", user.namespace)
        service_ip = kube.get(client, "v1", "Service", "web", user.namespace)["spec"]["clusterIP"]
    return Tenant(user, service_ip, pod_ip)


@pytest.fixture(scope="module")
def tenants(netpol_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> tuple[Tenant, Tenant]:
    directory = tmp_path_factory.mktemp("tenants")
    load_nodetest(netpol_cluster, directory)
    return _tenant(netpol_cluster, directory, "amy", "red"), _tenant(netpol_cluster, directory, "bob", "blue")


def _node_reaches(node: RealNode, ip: str) -> bool:
    try:
        return get_from_node(node, f"http://{ip}:{PORT}/healthz") == "ok\n"
    except AssertionError:
        return False


def _reaches(plane: ControlPlane, source: Tenant, ip: str) -> bool:
    """`kubectl exec` into the source tenant's client pod, as that tenant, and GET ip:PORT."""
    user = source.user
    argv = ("--kubeconfig", str(user.kubeconfig), "exec", "-n", user.namespace, "client", "--")
    result = plane.run("kubectl", *argv, "/nodetest", "get", f"http://{ip}:{PORT}/", check=False)
    return result.returncode == 0


def test_the_tenants_namespaces_carry_only_kbps_own_policies(
    netpol_cluster: ControlPlane, tenants: tuple[Tenant, Tenant]
) -> None:
    with netpol_cluster.client() as admin:
        for tenant in tenants:
            policies = kube.list_objects(
                admin, "networking.k8s.io/v1", "NetworkPolicy", tenant.user.namespace
            )
            assert {p["metadata"]["name"] for p in policies} == {isolation.DENY_NAME, isolation.ALLOW_NAME}


def _lookup(plane: ControlPlane, tenant: Tenant, name: str) -> list[str]:
    user = tenant.user
    argv = ("--kubeconfig", str(user.kubeconfig), "exec", "-n", user.namespace, "client", "--")
    result = plane.run("kubectl", *argv, "/nodetest", "lookup", name, check=False)
    assert result.returncode == 0, f"lookup {name} in {user.namespace}: {result.stderr}"
    return result.stdout.split()


def _blocked(plane: ControlPlane, argv: tuple[str, ...], url: str) -> bool:
    return plane.run("kubectl", *argv, "/nodetest", "get", url, check=False).returncode != 0


def test_a_tenants_pod_resolves_names_under_kbps_policies_and_reaches_dns_on_port_53_only(
    netpol_cluster: ControlPlane, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    node = node_of(netpol_cluster)
    with netpol_cluster.client() as admin:
        (coredns,) = kube.list_objects(admin, "v1", "Pod", dns.NAMESPACE, labels=dns.LABELS)
        kubernetes_ip = kube.get(admin, "v1", "Service", "kubernetes", "default")["spec"]["clusterIP"]
    ready = f"http://{coredns['status']['podIP']}:{dns.READY_PORT}/ready"
    assert get_from_node(node, ready) == "OK"  # the path exists: the node reaches it
    user = a.user
    argv = ("--kubeconfig", str(user.kubeconfig), "exec", "-n", user.namespace, "client", "--")
    kube.wait_for(
        lambda: _blocked(netpol_cluster, argv, ready) or None,
        timeout=POLICY_TIMEOUT,
        what="the tenant's pod cut off from CoreDNS's readiness port",
    )
    # With the policies in force: a Service of its own namespace by its short name, and the API's.
    assert _lookup(netpol_cluster, a, "web") == [a.service_ip]
    assert _lookup(netpol_cluster, a, "kubernetes.default") == [kubernetes_ip]


# Last in the module: it deletes the policies the tests above rely on.
def test_a_pod_in_tenant_a_reaches_its_own_service_and_nothing_of_tenant_b(
    netpol_cluster: ControlPlane, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    node = node_of(netpol_cluster)
    # The path exists: the node reaches B's Service (once kube-proxy has its endpoints), and B's
    # own pod does too.
    kube.wait_for(
        lambda: _node_reaches(node, b.service_ip) or None, timeout=SYNC_TIMEOUT, what="kube-proxy's rules"
    )
    assert _reaches(netpol_cluster, b, b.service_ip)
    assert _reaches(netpol_cluster, a, a.service_ip)  # within the namespace: allowed
    kube.wait_for(
        lambda: not _reaches(netpol_cluster, a, b.service_ip) or None,
        timeout=POLICY_TIMEOUT,
        what="tenant A cut off from tenant B's Service",
    )
    assert not _reaches(netpol_cluster, a, b.pod_ip)
    assert not _reaches(netpol_cluster, b, a.service_ip)
    assert _reaches(netpol_cluster, a, a.pod_ip)

    # And it is kbp's policies that cut it: without them (the admin deletes them), A reaches B.
    with netpol_cluster.client() as admin:
        for tenant in tenants:
            for name in (isolation.DENY_NAME, isolation.ALLOW_NAME):
                kube.delete(admin, "networking.k8s.io/v1", "NetworkPolicy", name, tenant.user.namespace)
    kube.wait_for(
        lambda: _reaches(netpol_cluster, a, b.service_ip) or None,
        timeout=POLICY_TIMEOUT,
        what="tenant A reaching B once the policies are gone",
    )
