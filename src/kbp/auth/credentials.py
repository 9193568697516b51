"""`kbp auth token`, the kubectl exec credential plugin: a cached ID token, refreshed when it expires.

Order: the cached ID token while it has more than `MARGIN_S` left → the refresh token → a new
login (the device-code flow, which needs no browser on this host), only when kubectl says a person
is at the terminal. The cache is one file per issuer and client, 0600 in a 0700 directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kbp.auth import AuthError, tokens
from kbp.auth.tokens import Client, Tokens

CACHE_ENV = "KBP_OIDC_CACHE"
MARGIN_S = 5.0  # refresh this long before exp: the request must reach the API server in time
EXEC_API = "client.authentication.k8s.io/v1"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".kube" / "cache" / "kbp-oidc")


def cache_path(client: Client, directory: Path) -> Path:
    key = hashlib.sha256(f"{client.issuer}\n{client.client_id}".encode()).hexdigest()[:32]
    return directory / f"{key}.json"


def load(path: Path) -> Tokens | None:
    try:
        doc = json.loads(path.read_text())
        return Tokens(str(doc["id_token"]), doc.get("refresh_token"), float(doc["expires_at"]))
    except (FileNotFoundError, KeyError, TypeError, ValueError):
        return None


def save(path: Path, found: Tokens) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    doc = {"id_token": found.id_token, "refresh_token": found.refresh_token, "expires_at": found.expires_at}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # 0600 from creation
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """One plugin run per cache file at a time: kubectl may start several, and a refresh token
    that rotates must be used once."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def interactive(environ: Mapping[str, str]) -> bool:
    """kubectl's word on whether a person can answer (KUBERNETES_EXEC_INFO.spec.interactive)."""
    try:
        info = json.loads(environ.get("KUBERNETES_EXEC_INFO", "{}"))
        return bool(info.get("spec", {}).get("interactive"))
    except (ValueError, AttributeError):
        return False


def token(
    issuer: tokens.Issuer,
    path: Path,
    *,
    login: Callable[[tokens.Issuer], Tokens] | None,
    now: Callable[[], float] = time.time,
) -> Tokens:
    """A valid ID token: cached, refreshed, or (when `login` is given) from a new login."""
    with locked(path):
        cached = load(path)
        if cached is not None and cached.expires_at - now() > MARGIN_S:
            return cached
        why = "no cached token"
        if cached is not None and cached.refresh_token:
            try:
                fresh = issuer.refresh(cached.refresh_token)
            except AuthError as exc:
                why = f"the refresh token was refused ({exc})"
            else:
                save(path, fresh)
                return fresh
        elif cached is not None:
            why = "the ID token expired and the issuer gave no refresh token"
        if login is None:
            raise AuthError(
                f"{issuer.client.issuer}: {why}, and no one is at the terminal to log in; "
                "run `kbp auth login` with the same --issuer and --client-id"
            )
        fresh = login(issuer)
        save(path, fresh)
        return fresh


def exec_credential(found: Tokens) -> dict[str, Any]:
    # kubectl asks again after this; the margin keeps it from sending a token about to expire.
    expires = dt.datetime.fromtimestamp(found.expires_at - MARGIN_S, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": EXEC_API,
        "kind": "ExecCredential",
        "status": {"token": found.id_token, "expirationTimestamp": expires},
    }
