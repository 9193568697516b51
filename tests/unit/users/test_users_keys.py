"""The key and CSR are made locally: ECDSA P-256, CN = user, O = groups."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kbp.users import keys

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _sign(csr_pem: bytes, days: int = 30) -> bytes:
    """What the cluster's signer does with the request: a certificate for its subject and key."""
    csr = x509.load_pem_x509_csr(csr_pem)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_name)
        .public_key(csr.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=days))
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_key_is_ecdsa_p256() -> None:
    key = serialization.load_pem_private_key(keys.new_key(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"


def test_csr_names_the_user_and_groups_and_is_signed_by_the_key() -> None:
    key = keys.new_key()
    csr = x509.load_pem_x509_csr(keys.csr_pem(key, keys.Subject("alice", ("dev", "qa"))))
    assert csr.is_signature_valid
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] == ["alice"]
    assert [a.value for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["dev", "qa"]
    public = csr.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == keys.public_key_pem(key)


def test_csr_carries_no_private_key_material() -> None:
    key = keys.new_key()
    request = keys.csr_pem(key, keys.Subject("alice"))
    assert b"PRIVATE KEY" not in request
    body = b"".join(key.splitlines()[1:-1])
    assert body not in request


def test_read_certificate_gives_subject_validity_and_key() -> None:
    key = keys.new_key()
    cert = keys.read_certificate(_sign(keys.csr_pem(key, keys.Subject("alice", ("qa", "dev"))), days=30))
    assert cert.subject == keys.Subject("alice", ("dev", "qa"))
    assert cert.not_after == NOW + dt.timedelta(days=30)
    assert cert.lifetime == dt.timedelta(days=30)
    assert cert.public_key_pem == keys.public_key_pem(key)


def test_read_certificate_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="PEM"):
        keys.read_certificate(b"not a certificate")
