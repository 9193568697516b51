"""Kubeconfig documents for the local cluster (pure builders, plus one writer)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from kbp.cluster.pki import write_secret

CONTEXT = "kbp-local"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def embedded(server: str, ca_pem: bytes, cert_pem: bytes, key_pem: bytes, user: str) -> dict[str, Any]:
    """A self-contained kubeconfig (certificates inline), safe to copy elsewhere as one file."""
    return _document(
        server,
        {"certificate-authority-data": _b64(ca_pem)},
        user,
        {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)},
    )


def by_path(server: str, ca: Path, cert: Path, key: Path, user: str) -> dict[str, Any]:
    """A kubeconfig that points at certificate files (what the components get)."""
    return _document(
        server,
        {"certificate-authority": str(ca)},
        user,
        {"client-certificate": str(cert), "client-key": str(key)},
    )


def _document(server: str, cluster: dict[str, str], user: str, creds: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server, **cluster}}],
        "users": [{"name": user, "user": creds}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": user}}],
        "current-context": CONTEXT,
    }


def write(path: Path, document: dict[str, Any]) -> Path:
    """Write with mode 0600: kubeconfigs carry (or point at) private keys."""
    write_secret(path, yaml.safe_dump(document, sort_keys=False).encode())
    return path
