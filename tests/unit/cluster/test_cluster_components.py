"""Component argv builders: pure data, checked without starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.cluster import components
from kbp.cluster.components import Ports, Spec
from kbp.cluster.layout import Layout

PORTS = Ports(
    etcd_client=2379, etcd_peer=2380, apiserver=6443, controller_manager=10257, scheduler=10259, kwok=10247
)


@pytest.fixture
def spec() -> Spec:
    return Spec(Path("/bins"), Layout.at(Path("/state")), PORTS)


def _flags(component: components.Component) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in component.argv[1:])


def test_every_component_runs_its_own_binary_in_start_order(spec: Spec) -> None:
    built = components.all_components(spec)
    assert tuple(c.name for c in built) == components.START_ORDER
    for component in built:
        assert component.argv[0] == f"/bins/{component.name}"
        assert all(arg.startswith("--") and "=" in arg for arg in component.argv[1:]), component.name


def test_everything_listens_on_loopback_only(spec: Spec) -> None:
    for component in components.all_components(spec):
        assert "0.0.0.0" not in " ".join(component.argv)
        assert "://127.0.0.1:" in component.health_url


def test_apiserver_uses_rbac_client_certs_and_etcd(spec: Spec) -> None:
    flags = _flags(components.apiserver(spec))
    assert flags["authorization-mode"] == "Node,RBAC"
    assert flags["client-ca-file"] == "/state/pki/ca.crt"
    assert flags["etcd-servers"] == "http://127.0.0.1:2379"
    assert flags["advertise-address"] == "127.0.0.1"
    assert flags["service-account-signing-key-file"] == "/state/pki/sa.key"
    assert flags["requestheader-client-ca-file"] == "/state/pki/front-proxy-ca.crt"
    assert flags["proxy-client-cert-file"] == "/state/pki/front-proxy-client.crt"
    assert components.apiserver(spec).health_url == "https://127.0.0.1:6443/readyz"


def test_controller_manager_signs_csrs_with_the_cluster_ca(spec: Spec) -> None:
    flags = _flags(components.controller_manager(spec))
    assert flags["cluster-signing-cert-file"] == flags["root-ca-file"] == "/state/pki/ca.crt"
    assert flags["cluster-signing-key-file"] == "/state/pki/ca.key"
    assert flags["controllers"] == "*"
    assert flags["use-service-account-credentials"] == "true"
    assert flags["kubeconfig"] == "/state/pki/kube-controller-manager.kubeconfig"
    assert flags["secure-port"] == "10257"


def test_scheduler_has_its_own_identity_and_port(spec: Spec) -> None:
    flags = _flags(components.scheduler(spec))
    assert flags["kubeconfig"] == "/state/pki/kube-scheduler.kubeconfig"
    assert flags["secure-port"] == "10259"
    assert flags["leader-elect"] == "false"


def test_etcd_client_and_peer_urls_match(spec: Spec) -> None:
    flags = _flags(components.etcd(spec))
    assert flags["listen-client-urls"] == flags["advertise-client-urls"] == "http://127.0.0.1:2379"
    assert flags["initial-cluster"] == "kbp=http://127.0.0.1:2380"
    assert flags["data-dir"] == "/state/etcd"


def test_kwok_manages_only_annotated_nodes(spec: Spec) -> None:
    flags = _flags(components.kwok(spec))
    assert flags["manage-all-nodes"] == "false"
    assert flags["manage-nodes-with-annotation-selector"] == "kwok.x-k8s.io/node=fake"
    assert flags["config"] == "/bins/kwok-stages.yaml"


def test_ports_are_listed_once_each() -> None:
    assert len(set(PORTS.all())) == 6


def test_apiserver_reads_the_authentication_config_kbp_auth_writes(spec: Spec) -> None:
    flags = _flags(components.apiserver(spec))
    assert flags["authentication-config"] == "/state/authentication.yaml"
    assert not any(flag.startswith("oidc-") for flag in flags)  # mutually exclusive with the file
