"""The developer's kubeconfig: built as data, read back for renewal, written 0600 from creation."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Endpoint:
    """Where the API server is and the CA that signs its serving certificate."""

    cluster: str  # the cluster's name in the kubeconfig
    server: str
    ca_pem: bytes


@dataclass(frozen=True)
class Credentials:
    """What a kubeconfig holds for one user: enough to decide whether to reuse it."""

    user: str
    server: str
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    namespace: str | None


def context_name(user: str, endpoint: Endpoint) -> str:
    return f"{user}@{endpoint.cluster}"


def build(
    endpoint: Endpoint, *, user: str, namespace: str, cert_pem: bytes, key_pem: bytes
) -> dict[str, Any]:
    """A complete, self-contained kubeconfig: CA, server, certificate and key inline, the namespace set."""
    context = context_name(user, endpoint)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": endpoint.cluster,
                "cluster": {"server": endpoint.server, "certificate-authority-data": _b64(endpoint.ca_pem)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)},
            }
        ],
        "contexts": [
            {"name": context, "context": {"cluster": endpoint.cluster, "user": user, "namespace": namespace}}
        ],
        "current-context": context,
    }


def build_exec(
    endpoint: Endpoint, *, user: str, namespace: str, issuer: str, client_id: str, issuer_ca_pem: str | None
) -> dict[str, Any]:
    """A kubeconfig with no secret in it: `kbp auth token`, an exec credential plugin, logs in to the
    issuer (device code) and keeps the tokens in its own 0600 cache."""
    exec_spec: dict[str, Any] = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": "kbp",
        "args": ["auth", "token", f"--issuer={issuer}", f"--client-id={client_id}"],
        "interactiveMode": "IfAvailable",
        "provideClusterInfo": False,
        "installHint": "kbp is the kubectl credential plugin here: pip install kbp (or use the repo's .venv)",
    }
    if issuer_ca_pem:
        exec_spec["env"] = [{"name": "KBP_OIDC_CA_DATA", "value": _b64(issuer_ca_pem.encode())}]
    document = build(endpoint, user=user, namespace=namespace, cert_pem=b"", key_pem=b"")
    document["users"] = [{"name": user, "user": {"exec": exec_spec}}]
    return document


def render(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(document, sort_keys=False).encode()


def parse(data: bytes) -> Credentials | None:
    """The current context's embedded credentials, or None if `data` is not such a kubeconfig."""
    try:
        doc = yaml.safe_load(data)
        ctx = _named(doc["contexts"], doc["current-context"])["context"]
        cluster = _named(doc["clusters"], ctx["cluster"])["cluster"]
        user = _named(doc["users"], ctx["user"])["user"]
        return Credentials(
            user=str(ctx["user"]),
            server=str(cluster["server"]),
            ca_pem=_unb64(cluster["certificate-authority-data"]),
            cert_pem=_unb64(user["client-certificate-data"]),
            key_pem=_unb64(user["client-key-data"]),
            namespace=ctx.get("namespace"),
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError, binascii.Error, StopIteration):
        return None


def read(path: Path) -> bytes | None:
    """The file's bytes, or None if there is no file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` atomically with a file that is 0600 from the moment it exists.

    mkstemp creates the temporary file 0600 in the same directory; rename keeps that mode, so no
    reader ever sees a partial file or one readable by the group or others.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
