"""Getting an ID token from an OIDC issuer: discovery, refresh, the device-code and password grants.

The only module of `kbp auth` that talks to an issuer. Tokens are never logged; errors carry the
issuer's `error` and `error_description`, which name the problem and hold no secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from kbp.auth import AuthError

WANTED_SCOPES = ("openid", "email", "profile", "groups", "offline_access")
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Client:
    issuer: str
    client_id: str
    ca_pem: str | None = None  # None: the system trust store


@dataclass(frozen=True)
class Tokens:
    id_token: str
    refresh_token: str | None
    expires_at: float  # the ID token's exp, seconds since the epoch


@dataclass(frozen=True)
class DevicePrompt:
    """What the person must do in a browser to finish a device-code login."""

    url: str
    user_code: str
    complete_url: str | None


def claims(id_token: str) -> dict[str, Any]:
    """The token's payload, unverified: the API server verifies; kbp reads exp and checks groups."""
    try:
        payload = id_token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error) as exc:
        raise AuthError("the issuer returned an ID token that is not a JWT") from exc
    if not isinstance(data, dict):
        raise AuthError("the issuer returned an ID token whose payload is not a JSON object")
    return data


def check_groups(payload: Mapping[str, Any], *, issuer: str) -> None:
    """Entra ID's group overage: no `groups`, a pointer to Graph instead. Say so instead of
    handing the API server a token it will reject (or accept with no groups)."""
    names = payload.get("_claim_names")
    if isinstance(names, dict) and "groups" in names:
        raise AuthError(
            f"{issuer}: the ID token has no groups claim because the user is in too many groups "
            "(Entra ID group overage, more than 200); set the app registration's "
            "groupMembershipClaims to ApplicationGroup and assign the team's groups to the application"
        )


class Issuer:
    """One issuer's endpoints, read from its discovery document on first use."""

    def __init__(self, client: Client, *, http: httpx2.Client | None = None) -> None:
        self.client = client
        self._http = http  # made on first use: a cached token needs no connection
        self._discovery: dict[str, Any] | None = None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None:
            url = self.client.issuer.rstrip("/") + "/.well-known/openid-configuration"
            doc = self._call("GET", url)
            if doc.get("issuer") != self.client.issuer:
                raise AuthError(
                    f"{url}: names issuer {doc.get('issuer')!r}, not {self.client.issuer!r} "
                    "(the API server would reject its tokens)"
                )
            self._discovery = doc
        return self._discovery

    def scopes(self) -> str:
        """The scopes kbp wants that the issuer supports (all of them if it does not say)."""
        supported = self.discovery().get("scopes_supported")
        wanted = [s for s in WANTED_SCOPES if not supported or s in supported]
        return " ".join(dict.fromkeys(["openid", *wanted]))

    def refresh(self, refresh_token: str) -> Tokens:
        return self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token}, refresh_token)

    def password(self, username: str, password: str) -> Tokens:
        form = {"grant_type": "password", "username": username, "password": password, "scope": self.scopes()}
        return self._grant(form, None)

    def device(
        self, show: Callable[[DevicePrompt], None], *, sleep: Callable[[float], None] = time.sleep
    ) -> Tokens:
        """RFC 8628: show the code, then poll the token endpoint until the person has logged in."""
        endpoint = self.discovery().get("device_authorization_endpoint")
        if not endpoint:
            raise AuthError(
                f"{self.client.issuer}: offers no device-code flow (no device_authorization_endpoint)"
            )
        start = self._call(
            "POST", str(endpoint), {"client_id": self.client.client_id, "scope": self.scopes()}
        )
        show(
            DevicePrompt(
                str(start["verification_uri"]),
                str(start["user_code"]),
                start.get("verification_uri_complete"),
            )
        )
        interval = float(start.get("interval") or 5)
        deadline = time.monotonic() + float(start.get("expires_in") or 600)
        form = {"grant_type": DEVICE_GRANT, "device_code": str(start["device_code"])}
        while time.monotonic() < deadline:
            sleep(interval)
            try:
                return self._grant(form, None)
            except _PendingError as pending:
                interval += 5 if pending.slow_down else 0
        raise AuthError(f"{self.client.issuer}: the device code expired before the login finished")

    def _grant(self, form: dict[str, str], previous_refresh: str | None) -> Tokens:
        body = self._call(
            "POST", str(self.discovery()["token_endpoint"]), {**form, "client_id": self.client.client_id}
        )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise AuthError(f"{self.client.issuer}: the token response has no id_token (is openid a scope?)")
        payload = claims(id_token)
        check_groups(payload, issuer=self.client.issuer)
        # Issuers that do not rotate refresh tokens leave it out of a refresh's response.
        refresh = body.get("refresh_token") or previous_refresh
        return Tokens(id_token, refresh, float(payload.get("exp") or 0))

    def _call(self, method: str, url: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        if self._http is None:
            self._http = httpx2.Client(verify=_verify(self.client.ca_pem), timeout=TIMEOUT_S, trust_env=True)
        try:
            response = self._http.request(method, url, data=form)
        except httpx2.HTTPError as exc:
            raise AuthError(f"{url}: cannot reach the issuer: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 400 and body.get("error") in ("authorization_pending", "slow_down"):
            raise _PendingError(body["error"] == "slow_down")
        if response.status_code >= 400:
            error = body.get("error") or f"HTTP {response.status_code}"
            detail = body.get("error_description")
            raise AuthError(f"{url}: {error}" + (f": {detail}" if detail else ""))
        return body


class _PendingError(Exception):
    def __init__(self, slow_down: bool) -> None:
        super().__init__("authorization_pending")
        self.slow_down = slow_down


def _verify(ca_pem: str | None) -> ssl.SSLContext | bool:
    if not ca_pem:
        return True
    return ssl.create_default_context(cadata=ca_pem)
