"""What `user add` applies, and when it keeps or renews the certificate."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kbp import metadata
from kbp.users import keys, plans, quotas
from kbp.users.kubeconfig import Credentials, Endpoint

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SPEC = plans.UserSpec(
    name="alice",
    team="payments",
    groups=("dev", "qa"),
    namespace="dev-alice",
    quota="small",
    cert_ttl=dt.timedelta(days=30),
)
ENDPOINT = Endpoint(cluster="kbp-local", server="https://127.0.0.1:6443", ca_pem=b"CA\n")


def _creds(
    *,
    subject: keys.Subject = SPEC.subject,
    issued: dt.datetime = NOW - dt.timedelta(days=1),
    days: int = 30,
    server: str = ENDPOINT.server,
    other_key: bool = False,
) -> Credentials:
    key = keys.new_key()
    csr = x509.load_pem_x509_csr(keys.csr_pem(key, subject))
    ca_key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")]))
        .public_key(csr.public_key())
        .serial_number(1)
        .not_valid_before(issued)
        .not_valid_after(issued + dt.timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    return Credentials(
        user=subject.user,
        server=server,
        ca_pem=ENDPOINT.ca_pem,
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=keys.new_key() if other_key else key,
        namespace=SPEC.namespace,
    )


def _decide(found: Credentials | None, renew_before: dt.timedelta | None = None) -> plans.CertDecision:
    return plans.decide_certificate(found, spec=SPEC, endpoint=ENDPOINT, now=NOW, renew_before=renew_before)


def test_keeps_a_valid_certificate() -> None:
    decision = _decide(_creds())
    assert not decision.renew
    assert "valid until 2026-01-30T00:00:00Z" in decision.reason


@pytest.mark.parametrize(
    ("found", "reason"),
    [
        pytest.param(None, "no kubeconfig", id="first-time"),
        pytest.param(_creds(issued=NOW - dt.timedelta(days=21)), "expires at", id="last-third-of-lifetime"),
        pytest.param(_creds(issued=NOW - dt.timedelta(days=31)), "expires at", id="expired"),
        pytest.param(_creds(subject=keys.Subject("alice", ("dev",))), "groups changed", id="groups-changed"),
        pytest.param(_creds(server="https://other:6443"), "another cluster", id="other-cluster"),
        pytest.param(_creds(other_key=True), "key does not match", id="key-mismatch"),
    ],
)
def test_renews_when_the_certificate_cannot_serve(found: Credentials | None, reason: str) -> None:
    decision = _decide(found)
    assert decision.renew
    assert reason in decision.reason


def test_an_explicit_window_overrides_the_last_third() -> None:
    fresh = _creds(issued=NOW - dt.timedelta(days=1))  # 29 days left
    assert not _decide(fresh, renew_before=dt.timedelta(days=7)).renew
    assert _decide(fresh, renew_before=dt.timedelta(days=29)).renew


def test_csr_is_v1_for_the_client_signer_with_expiration() -> None:
    request = keys.csr_pem(keys.new_key(), SPEC.subject)
    csr = plans.csr_manifest(SPEC, request, suffix="ab12")
    assert csr["apiVersion"] == "certificates.k8s.io/v1"
    assert csr["metadata"]["name"] == "kbp-alice-ab12"
    assert csr["metadata"]["labels"][metadata.USER] == "alice"
    assert csr["spec"] == {
        "request": base64.b64encode(request).decode(),
        "signerName": "kubernetes.io/kube-apiserver-client",
        "usages": ["client auth"],
        "expirationSeconds": 30 * 86400,
    }


def test_namespace_names_owner_team_purpose_and_the_user() -> None:
    ns = plans.namespace(SPEC, version="v1.37")
    labels, annotations = ns["metadata"]["labels"], ns["metadata"]["annotations"]
    assert labels[metadata.OWNER] == labels[metadata.USER] == "alice"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.37"
    assert labels[metadata.TEAM] == "payments"
    assert labels[metadata.MANAGED_BY] == metadata.MANAGED_BY_KBP
    assert annotations[metadata.PURPOSE] == "development"
    assert annotations[metadata.TTL] == "forever"


def test_contents_are_quota_limitrange_network_policies_and_then_the_rolebinding() -> None:
    expires = NOW + dt.timedelta(days=30)
    kinds = [o["kind"] for o in plans.contents(SPEC, expires)]
    assert kinds == ["ResourceQuota", "LimitRange", "NetworkPolicy", "NetworkPolicy", "RoleBinding"]
    binding = plans.contents(SPEC, expires)[-1]
    assert binding["metadata"]["namespace"] == "dev-alice"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]
    assert binding["metadata"]["annotations"] == {
        metadata.GROUPS: "dev,qa",
        metadata.CERT_EXPIRES: "2026-01-31T00:00:00Z",
        metadata.QUOTA_PROFILE: "small",
    }


@pytest.mark.parametrize("name", sorted(quotas.PROFILES))
def test_every_profile_has_defaults_within_its_limits(name: str) -> None:
    p = quotas.profile(name)
    limits = quotas.limit_range(p, namespace="n", labels={})["spec"]["limits"]
    assert len(limits) == 1
    resources = {"cpu", "memory", "ephemeral-storage"}
    assert set(limits[0]["default"]) == set(limits[0]["defaultRequest"]) == set(limits[0]["max"]) == resources
    for resource in resources:
        request, limit = limits[0]["defaultRequest"][resource], limits[0]["default"][resource]
        assert _quantity(request) <= _quantity(limit) <= _quantity(limits[0]["max"][resource])
    hard = quotas.resource_quota(p, namespace="n", labels={})["spec"]["hard"]
    assert {
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
        "requests.ephemeral-storage",
        "limits.ephemeral-storage",
        "pods",
        "persistentvolumeclaims",
        "secrets",
    } <= set(hard)
    assert hard["services.loadbalancers"] == hard["services.nodeports"] == "0"
    assert _quantity(hard["requests.ephemeral-storage"]) <= _quantity(hard["limits.ephemeral-storage"])


def _quantity(text: str) -> float:
    """The few Kubernetes quantity suffixes the profiles use."""
    for suffix, factor in (("m", 1e-3), ("Ki", 2**10), ("Mi", 2**20), ("Gi", 2**30)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(KeyError, match="expected one of: small, medium, large"):
        quotas.profile("huge")
