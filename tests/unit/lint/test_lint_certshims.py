"""listener-tls-unissuable against what cert-manager v1.19's gateway-shim does with a Gateway
(pkg/controller/certificate-shim/sync.go): issuer annotations it refuses, listeners it skips,
issuers it names through issuer-kind and issuer-group. Each finding names the Gateway, the
listener and what is wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kbp.lint import certshims, engine
from kbp.lint.findings import Finding
from kbp.lint.rules import ALL
from kbp.lint.sources import Source

RULE = "listener-tls-unissuable"
LETSENCRYPT = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: letsencrypt-account-key}
    solvers:
      - http01:
          gatewayHTTPRoute:
            parentRefs: [{name: public, namespace: edge}]
"""


def https(name: str = "https", hostname: str | None = "journal.example.org", **ref: str) -> dict[str, Any]:
    listener: dict[str, Any] = {
        "name": name,
        "protocol": "HTTPS",
        "port": 443,
        "tls": {"mode": "Terminate", "certificateRefs": [{"name": f"{name}-tls", **ref}]},
    }
    if hostname is not None:
        listener["hostname"] = hostname
    return listener


def gateway(annotations: dict[str, str], *listeners: dict[str, Any]) -> str:
    body = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "public", "namespace": "edge", "annotations": annotations},
        "spec": {"gatewayClassName": "traefik", "listeners": list(listeners or [https()])},
    }
    return json.dumps(body)  # JSON is YAML


def lint(*documents: str) -> list[Finding]:
    policy = engine.Policy(disabled=frozenset(r.id for r in ALL if r.id != RULE))
    source = Source("edge.yaml", "\n---\n".join(documents), "yaml")
    result = engine.lint([source], policy)
    assert result.errors == ()
    return list(result.findings)


def messages(*documents: str) -> list[str]:
    return [f.message for f in lint(*documents)]


def test_both_issuer_annotations_are_refused_and_the_other_one_is_pointed_at() -> None:
    notes = {certshims.ISSUER: "internal-ca", certshims.CLUSTER_ISSUER: "letsencrypt"}
    [finding] = lint(gateway(notes))
    assert finding.message == (
        "Gateway edge/public: cert-manager's gateway-shim refuses cert-manager.io/issuer and "
        "cert-manager.io/cluster-issuer together: no listener of it gets a certificate"
    )
    assert finding.field == "metadata.annotations.cert-manager.io/cluster-issuer"
    assert [r.note for r in finding.related] == ["the other annotation"]


@pytest.mark.parametrize("key", [certshims.ISSUER_KIND, certshims.ISSUER_GROUP])
def test_issuer_kind_or_group_beside_cluster_issuer_is_refused(key: str) -> None:
    notes = {certshims.CLUSTER_ISSUER: "letsencrypt", key: "ClusterIssuer"}
    assert messages(gateway(notes), LETSENCRYPT) == [
        f"Gateway edge/public: cert-manager's gateway-shim refuses {key} beside "
        "cert-manager.io/cluster-issuer (it goes with cert-manager.io/issuer): no listener of it "
        "gets a certificate"
    ]


def test_an_empty_issuer_name_is_refused() -> None:
    assert messages(gateway({certshims.ISSUER: ""})) == [
        "Gateway edge/public: cert-manager.io/issuer is empty; cert-manager's gateway-shim needs an "
        "issuer name: no listener of it gets a certificate"
    ]


def test_an_external_kind_without_its_group_is_refused_by_the_webhook() -> None:
    notes = {certshims.ISSUER: "private-ca", certshims.ISSUER_KIND: "AWSPCAClusterIssuer"}
    [finding] = lint(gateway(notes))
    assert finding.message.startswith("Gateway edge/public: issuer kind 'AWSPCAClusterIssuer' is neither")
    assert finding.field == "metadata.annotations.cert-manager.io/issuer-kind"


def test_issuer_kind_cluster_issuer_makes_the_issuer_annotation_name_a_cluster_issuer() -> None:
    wildcard = https(hostname="*.example.org")
    notes = {certshims.ISSUER: "letsencrypt", certshims.ISSUER_KIND: "ClusterIssuer"}
    assert messages(gateway(notes, wildcard), LETSENCRYPT) == [
        "listener https of Gateway edge/public (*.example.org): ClusterIssuer letsencrypt cannot issue "
        "a certificate for '*.example.org': it is a wildcard and the issuer's only solvers are HTTP-01; "
        "ACME CAs such as Let's Encrypt issue wildcards only through DNS-01"
    ]
    notes = {certshims.ISSUER: "missing", certshims.ISSUER_KIND: "ClusterIssuer"}
    assert messages(gateway(notes), LETSENCRYPT) == [
        "listener https of Gateway edge/public (journal.example.org) asks ClusterIssuer 'missing' for "
        "its certificate, and the set has none"
    ]


def test_an_external_issuer_is_not_judged_even_for_a_wildcard() -> None:
    notes = {
        certshims.ISSUER: "private-ca",
        certshims.ISSUER_KIND: "AWSPCAClusterIssuer",
        certshims.ISSUER_GROUP: "awspca.cert-manager.io",
    }
    assert messages(gateway(notes, https(hostname="*.internal.example.org")), LETSENCRYPT) == []


@pytest.mark.parametrize(
    ("ref", "field", "wrong"),
    [
        pytest.param(
            {"namespace": "certs"},
            "namespace",
            "certificateRef https-tls is in namespace certs; the shim allows only the Gateway's own (edge)",
            id="other-namespace",
        ),
        pytest.param(
            {"group": "secrets-store.csi.x-k8s.io"},
            "group",
            "certificateRef https-tls is of group 'secrets-store.csi.x-k8s.io', not a core Secret",
            id="other-group",
        ),
        pytest.param(
            {"kind": "ConfigMap"},
            "kind",
            "certificateRef https-tls is a ConfigMap, not a Secret",
            id="other-kind",
        ),
    ],
)
def test_a_listener_whose_certificate_ref_the_shim_refuses_is_skipped(
    ref: dict[str, str], field: str, wrong: str
) -> None:
    # a wildcard an HTTP-01 issuer could not issue: the skip is the only finding, the shim never asks
    listener = https(hostname="*.example.org", **ref)
    [finding] = lint(gateway({certshims.CLUSTER_ISSUER: "letsencrypt"}, listener), LETSENCRYPT)
    listener_label = "listener https of Gateway edge/public (*.example.org)"
    assert finding.message == f"{listener_label}: cert-manager's gateway-shim skips it: {wrong}"
    assert finding.field == f"spec.listeners[https].tls.certificateRefs[https-tls].{field}"


def test_a_listener_without_a_hostname_or_certificate_refs_is_skipped() -> None:
    catch_all = https(name="catch-all", hostname=None)
    bare = {**https(name="bare"), "tls": {"mode": "Terminate"}}
    notes = {certshims.CLUSTER_ISSUER: "letsencrypt"}
    assert messages(gateway(notes, catch_all, bare), LETSENCRYPT) == [
        "listener catch-all of Gateway edge/public (any host): cert-manager's gateway-shim skips it: "
        "it has no hostname to put in a certificate",
        "listener bare of Gateway edge/public (journal.example.org): cert-manager's gateway-shim skips "
        "it: it has no tls.certificateRefs to write one to",
    ]


def test_refs_the_shim_accepts_and_listeners_it_leaves_alone() -> None:
    explicit = https(group="", kind="Secret", namespace="edge")
    core = {**https(name="db", hostname="db.example.org", group="core"), "protocol": "TLS"}
    passthrough = {"name": "raw", "protocol": "TLS", "port": 9443, "hostname": "*.example.org"}
    passthrough["tls"] = {"mode": "Passthrough"}
    plain = {"name": "http", "protocol": "HTTP", "port": 80}
    notes = {certshims.CLUSTER_ISSUER: "letsencrypt"}
    assert messages(gateway(notes, explicit, core, passthrough, plain), LETSENCRYPT) == []


def test_a_gateway_without_the_shims_annotations_is_not_read() -> None:
    # issuer-kind alone does not make the shim read the Gateway
    assert messages(gateway({certshims.ISSUER_KIND: "ClusterIssuer"}, https(namespace="certs"))) == []
