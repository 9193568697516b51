"""The cluster PKI: what each certificate asserts, and that keys stay private."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kbp.cluster import pki


def _load(pair: pki.KeyPair) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pair.cert_pem)


def test_ca_is_a_self_signed_ca() -> None:
    cert = _load(pki.make_ca("test-ca"))
    assert cert.issuer == cert.subject
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign


def test_client_cert_carries_user_and_groups_and_chains_to_the_ca() -> None:
    ca = pki.make_ca()
    leaf = _load(pki.issue(ca, pki.Identity("alice", groups=("devs", "ops"))))
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "alice"
    assert [a.value for a in leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [
        "devs",
        "ops",
    ]
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    leaf.verify_directly_issued_by(_load(ca))


def test_server_cert_lists_ip_and_dns_names() -> None:
    leaf = _load(pki.issue(pki.make_ca(), pki.Identity("api", sans=pki.SERVER_SANS, server=True)))
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert "kubernetes.default.svc" in sans.get_values_for_type(x509.DNSName)
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_certificates_are_valid_now() -> None:
    cert = _load(pki.issue(pki.make_ca(), pki.Identity("bob")))
    now = dt.datetime.now(dt.UTC)
    assert cert.not_valid_before_utc < now < cert.not_valid_after_utc


def test_keys_are_ec_p256() -> None:
    key = pki.new_key()
    assert isinstance(key.curve, ec.SECP256R1)
    assert b"PRIVATE KEY" in pki.key_pem(key)
    assert b"PUBLIC KEY" in pki.public_pem(key)


def test_written_keys_are_owner_only(tmp_path: Path) -> None:
    paths = pki.write_pair(tmp_path / "pki", "leaf", pki.issue(pki.make_ca(), pki.Identity("x")))
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    assert paths.cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_write_secret_narrows_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "k"
    target.write_text("old")
    target.chmod(0o644)
    pki.write_secret(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes() == b"new"
