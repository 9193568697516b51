"""Deciding a CertificateSigningRequest: an Approved or Denied condition through its approval
subresource (the only way to approve)."""

from __future__ import annotations

from typing import Any

from lightkube import Client
from lightkube.resources.certificates_v1 import CertificateSigningRequest, CertificateSigningRequestApproval

from kbp.kube.errors import translated
from kbp.kube.kinds import to_dict, untyped


def approve_csr(
    client: Client, name: str, *, reason: str = "KbpApproved", message: str = ""
) -> dict[str, Any]:
    """Add an Approved condition through the CSR's approval subresource (the only way to approve)."""
    return _decide_csr(client, name, "Approved", reason, message or "approved by kbp")


def deny_csr(client: Client, name: str, *, reason: str = "KbpDenied", message: str = "") -> dict[str, Any]:
    """Add a Denied condition through the approval subresource: the signer will never sign it."""
    return _decide_csr(client, name, "Denied", reason, message or "denied by kbp")


def _decide_csr(client: Client, name: str, decision: str, reason: str, message: str) -> dict[str, Any]:
    with translated():
        csr = to_dict(untyped(client).get(CertificateSigningRequest, name))
        status = csr.setdefault("status", {})
        status["conditions"] = [
            *(status.get("conditions") or []),
            {"type": decision, "status": "True", "reason": reason, "message": message},
        ]
        approval = CertificateSigningRequestApproval.from_dict(csr)
        return to_dict(untyped(client).replace(approval, name))
