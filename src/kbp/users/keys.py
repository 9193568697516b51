"""The user's private key and certificate request, made locally: the key never leaves this machine.

ECDSA P-256: accepted by every supported Kubernetes for client auth, and generated in microseconds.
The request carries no key usages of its own; the CSR object asks for `client auth` (with ECDSA,
`key encipherment` does not apply).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Subject:
    """What the certificate says: CN = user, one O per group (sorted)."""

    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Certificate:
    """The parts of an issued certificate kbp decides on."""

    subject: Subject
    not_before: dt.datetime
    not_after: dt.datetime
    public_key_pem: bytes

    @property
    def lifetime(self) -> dt.timedelta:
        return self.not_after - self.not_before


def new_key() -> bytes:
    """A fresh ECDSA P-256 private key, PEM (PKCS#8, unencrypted: kubeconfigs embed it as is)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def csr_pem(key_pem: bytes, subject: Subject) -> bytes:
    """A PKCS#10 request signed by the key, naming the subject."""
    key = _private_key(key_pem)
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in subject.groups]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.user))
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    return request.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def public_key_pem(key_pem: bytes) -> bytes:
    return _public_pem(_private_key(key_pem).public_key())


def read_certificate(cert_pem: bytes) -> Certificate:
    """The subject, validity and public key of a PEM certificate; ValueError if it is not one."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    names = cert.subject
    common = [str(a.value) for a in names.get_attributes_for_oid(NameOID.COMMON_NAME)]
    groups = sorted(str(a.value) for a in names.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
    if len(common) != 1:
        raise ValueError("the certificate's subject has no single common name")
    return Certificate(
        subject=Subject(common[0], tuple(groups)),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        public_key_pem=_public_pem(cert.public_key()),
    )


def _private_key(key_pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the private key is not an ECDSA key")
    return key


def _public_pem(key: object) -> bytes:
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("the certificate's key is not an ECDSA key")
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
