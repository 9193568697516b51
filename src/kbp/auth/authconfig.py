"""The AuthenticationConfiguration file the API server reads (`--authentication-config`).

kbp edits only its `jwt` list and keeps every other key as it found it. Writes replace the file
by rename, so the API server never reads half a file: it watches the path (inotify, with a
1-minute poll behind it) and applies a valid new version without a restart.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kbp.auth import AuthError, InvalidAuthError, issuers
from kbp.auth.issuers import Issuer

API_VERSION = "apiserver.config.k8s.io/v1"
KIND = "AuthenticationConfiguration"


def empty() -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": KIND, "jwt": []}


def read(path: Path) -> dict[str, Any]:
    """The document at `path` (an empty configuration if there is no file); AuthError if it is not one."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return empty()
    except OSError as exc:
        raise AuthError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AuthError(f"{path}: not YAML: {exc}") from exc
    if doc is None:
        return empty()
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise AuthError(
            f"{path}: not an {KIND} (kind: {doc.get('kind') if isinstance(doc, dict) else doc!r})"
        )
    if doc.get("apiVersion") != API_VERSION:
        raise AuthError(
            f"{path}: apiVersion {doc.get('apiVersion')}: kbp writes {API_VERSION} (GA since 1.34)"
        )
    if not isinstance(doc.get("jwt") or [], list):
        raise AuthError(f"{path}: jwt: expected a list")
    return doc


def list_issuers(doc: dict[str, Any]) -> list[Issuer]:
    return [issuers.from_authenticator(entry) for entry in doc.get("jwt") or []]


def find(doc: dict[str, Any], name: str, *, path: Path) -> Issuer:
    for issuer in list_issuers(doc):
        if issuer.name == name:
            return issuer
    known = ", ".join(i.name for i in list_issuers(doc)) or "none"
    raise InvalidAuthError(
        f'issuer "{name}": not in {path} (issuers there: {known}; add it with kbp auth oidc add)'
    )


def with_issuer(doc: dict[str, Any], issuer: Issuer) -> tuple[dict[str, Any], bool]:
    """The document with `issuer` added or replacing the one of the same name; and whether it changed.

    The API server refuses two entries with one URL, so another name on the same URL is an error.
    """
    entries = list(doc.get("jwt") or [])
    for entry in entries:
        other = issuers.from_authenticator(entry)
        if other.url == issuer.url and other.name != issuer.name:
            raise InvalidAuthError(
                f'issuer URL "{issuer.url}": already configured as "{other.name}" '
                f"(the API server takes each issuer once; remove that one first)"
            )
    new = issuers.jwt_authenticator(issuer)
    kept = [e for e in entries if issuers.from_authenticator(e).name != issuer.name]
    index = next(
        (i for i, e in enumerate(entries) if issuers.from_authenticator(e).name == issuer.name), len(kept)
    )
    updated = [*kept[:index], new, *kept[index:]]
    return {**doc, "jwt": updated}, updated != entries


def without_issuer(doc: dict[str, Any], name: str) -> tuple[dict[str, Any], bool]:
    entries = list(doc.get("jwt") or [])
    kept = [e for e in entries if issuers.from_authenticator(e).name != name]
    return {**doc, "jwt": kept}, len(kept) != len(entries)


def render(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def write(path: Path, doc: dict[str, Any]) -> None:
    """Replace `path` atomically (a temporary file in the same directory, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(render(doc))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # the CA and URLs are public; the API server may run as another user
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def ensure(path: Path) -> None:
    """An empty configuration at `path` unless one is there: the API server needs the file to start."""
    if not path.exists():
        write(path, empty())
