"""A client certificate from the cluster's signer: a new key (kept here), a CSR, its approval
(or someone else's), the wait for the signature, and a check that the certificate is the one asked
for. The CSR is kept for undo, so a failed run leaves none behind."""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager

from kbp import kube
from kbp.users import CertificateError, keys, plans
from kbp.users.converging import Undo
from kbp.users.plans import UserSpec

Waiting = Callable[[str], AbstractContextManager[None]]


def issue(
    client: kube.KubeClient,
    spec: UserSpec,
    undo: Undo,
    *,
    approve: bool,
    timeout_s: float,
    waiting: Waiting = lambda _: contextlib.nullcontext(),
) -> tuple[bytes, bytes, str]:
    """A new key (kept here) and a certificate for it from the cluster's client signer."""
    key_pem = keys.new_key()
    manifest = plans.csr_manifest(spec, keys.csr_pem(key_pem, spec.subject), suffix=secrets.token_hex(4))
    name: str = manifest["metadata"]["name"]
    kube.create(client, manifest)
    undo.created.append(("certificates.k8s.io/v1", "CertificateSigningRequest", name, None))
    if approve:
        kube.approve_csr(client, name, message=f"kbp user add {spec.name}")
        what = f"CSR {name} to be signed"
    else:
        what = f"someone to approve CSR {name} (kubectl certificate approve {name})"
    try:
        with waiting(f"waiting for {what}"):
            signed = kube.wait_for(lambda: _signed(client, name), timeout=timeout_s, what=what, interval=0.05)
    except kube.WaitTimeoutError as exc:
        if not _approved(client, name):
            raise CertificateError(f"CSR {name}: not approved within {timeout_s:g}s") from exc
        # Approved and never issued: what managed clusters do (EKS, aws/containers-roadmap#1604).
        raise CertificateError(
            f"CSR {name}: approved, but no certificate was issued within {timeout_s:g}s: this "
            f"cluster does not sign {plans.SIGNER} requests (managed control planes such as EKS never "
            f"do); no user was created. Onboard through the cluster's identity provider instead: "
            f"kbp user add {spec.name} --oidc ISSUER"
        ) from exc
    cert_pem = base64.b64decode(signed)
    cert = keys.read_certificate(cert_pem)
    if cert.subject != spec.subject or cert.public_key_pem != keys.public_key_pem(key_pem):
        raise CertificateError(
            f"CSR {name}: the signed certificate does not match the request ({cert.subject})"
        )
    return cert_pem, key_pem, name


def _approved(client: kube.KubeClient, name: str) -> bool:
    csr = kube.get(client, "certificates.k8s.io/v1", "CertificateSigningRequest", name)
    return kube.condition(csr, "Approved") == "True"


def _signed(client: kube.KubeClient, name: str) -> str | None:
    csr = kube.get(client, "certificates.k8s.io/v1", "CertificateSigningRequest", name)
    for cond in csr.get("status", {}).get("conditions") or []:
        if cond.get("type") in ("Denied", "Failed") and cond.get("status") == "True":
            verdict = "was denied" if cond["type"] == "Denied" else "failed (the signer gave up)"
            detail = ": ".join(p for p in (cond.get("reason"), cond.get("message")) if p)
            raise CertificateError(
                f"CSR {name} {verdict}: {detail or 'no reason given'}; no user was created"
            )
    certificate: str | None = csr.get("status", {}).get("certificate") or None
    return certificate
