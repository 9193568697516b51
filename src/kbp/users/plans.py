"""What `kbp user add` wants to exist, as data: the CSR, the namespace and what goes in it.

Also the one decision `add` makes before talking to the API: keep the certificate in the
kubeconfig it finds, or ask for a new one.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from kbp import metadata
from kbp.namespaces import isolation
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from kbp.namespaces.ttl import format_instant
from kbp.users import keys, quotas
from kbp.users.kubeconfig import Credentials, Endpoint

SIGNER = "kubernetes.io/kube-apiserver-client"
CLUSTER_ROLE = "edit"
PURPOSE = "development"
MIN_CERT_TTL = dt.timedelta(minutes=10)  # the API's floor for expirationSeconds


@dataclass(frozen=True)
class UserSpec:
    name: str
    team: str
    groups: tuple[str, ...]
    namespace: str
    quota: str  # a profile name in quotas.PROFILES
    cert_ttl: dt.timedelta
    namespace_ttl: str = "forever"  # kube-janitor's grammar
    identity: str | None = None  # OIDC: the prefixed username RBAC sees; None: a certificate user

    @property
    def rbac_user(self) -> str:
        return self.identity or self.name

    @property
    def subject(self) -> keys.Subject:
        return keys.Subject(self.name, self.groups)


@dataclass(frozen=True)
class CertDecision:
    renew: bool
    reason: str


def binding_name(user: str) -> str:
    return f"kbp-user-{user}"


def csr_manifest(spec: UserSpec, request_pem: bytes, *, suffix: str) -> dict[str, Any]:
    """A v1 request to the kube-apiserver-client signer; `suffix` makes each request's name unique."""
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": f"kbp-{spec.name}-{suffix}", "labels": _labels(spec)},
        "spec": {
            "request": base64.b64encode(request_pem).decode(),
            "signerName": SIGNER,
            "usages": ["client auth"],
            "expirationSeconds": int(spec.cert_ttl.total_seconds()),
        },
    }


def namespace(spec: UserSpec, *, version: str) -> dict[str, Any]:
    """The user's namespace: restricted Pod Security pinned to `version` (the cluster's v1.<minor>)."""
    ns = namespace_manifest(
        NamespaceSpec(
            name=spec.namespace, owner=spec.name, team=spec.team, purpose=PURPOSE, ttl=spec.namespace_ttl
        ),
        version=version,
    )
    ns["metadata"]["labels"][metadata.USER] = spec.name  # what `user remove --delete-namespace` selects
    return ns


def contents(spec: UserSpec, cert_expires: dt.datetime | None) -> list[dict[str, Any]]:
    """The quota, the one LimitRange, the NetworkPolicies and the binding, in apply order (the
    binding, which grants, last): the user never sees their namespace unguarded.

    The binding carries the user's record (groups, certificate expiry, profile), so `user list`
    needs no CSR: the controller-manager deletes those within about an hour. An OIDC user's
    binding names their prefixed identity and has no certificate expiry.
    """
    profile = quotas.profile(spec.quota)
    labels = _labels(spec)
    annotations = {metadata.GROUPS: ",".join(spec.groups), metadata.QUOTA_PROFILE: profile.name}
    if cert_expires is not None:
        annotations[metadata.CERT_EXPIRES] = format_instant(cert_expires)
    if spec.identity is not None:
        annotations[metadata.IDENTITY] = spec.identity
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": binding_name(spec.name),
            "namespace": spec.namespace,
            "labels": {**labels, metadata.TEAM: spec.team},
            "annotations": annotations,
        },
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": spec.rbac_user}],
    }
    return [
        quotas.resource_quota(profile, namespace=spec.namespace, labels=labels),
        quotas.limit_range(profile, namespace=spec.namespace, labels=labels),
        *isolation.network_policies(spec.namespace, labels=labels),
        binding,
    ]


def decide_certificate(
    found: Credentials | None,
    *,
    spec: UserSpec,
    endpoint: Endpoint,
    now: dt.datetime,
    renew_before: dt.timedelta | None,
) -> CertDecision:
    """Keep the certificate the kubeconfig holds unless it is for someone else, another cluster,
    or near its end: within `renew_before`, or by default the last third of its lifetime."""
    if found is None:
        return CertDecision(True, "no kubeconfig with a certificate yet")
    try:
        cert = keys.read_certificate(found.cert_pem)
        key_matches = keys.public_key_pem(found.key_pem) == cert.public_key_pem
    except ValueError as exc:
        return CertDecision(True, f"the kubeconfig's certificate is unreadable ({exc})")
    mismatch = _mismatch(found, cert, spec=spec, endpoint=endpoint, key_matches=key_matches)
    if mismatch:
        return CertDecision(True, mismatch)
    window = renew_before if renew_before is not None else cert.lifetime / 3
    left = cert.not_after - now
    if left <= window:
        return CertDecision(True, f"the certificate expires at {format_instant(cert.not_after)}")
    return CertDecision(False, f"the certificate is valid until {format_instant(cert.not_after)}")


def _mismatch(
    found: Credentials, cert: keys.Certificate, *, spec: UserSpec, endpoint: Endpoint, key_matches: bool
) -> str | None:
    if cert.subject.user != spec.name:
        return "the certificate is for another user"
    if cert.subject != spec.subject:
        return "the user's groups changed"
    if found.server != endpoint.server or found.ca_pem != endpoint.ca_pem:
        return "the kubeconfig is for another cluster"
    if not key_matches:
        return "the kubeconfig's key does not match its certificate"
    return None


def _labels(spec: UserSpec) -> dict[str, str]:
    return {**metadata.managed_selector(), metadata.USER: spec.name}
