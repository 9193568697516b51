"""The exec plugin's decisions: cached, refreshed, or a new login; its cache stays private."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kbp.auth import AuthError, credentials, tokens
from kbp.auth.tokens import Client, Tokens

CLIENT = Client("https://dex.example", "kbp")


def _jwt(payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"e30.{body}.sig"


class FakeIssuer:
    """Stands in for tokens.Issuer: records refreshes, refuses the refresh token it is told to."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.client = CLIENT
        self.refreshed: list[str] = []
        self.refuse = refuse

    def refresh(self, refresh_token: str) -> Tokens:
        self.refreshed.append(refresh_token)
        if self.refuse:
            raise AuthError("invalid_grant")
        return Tokens("new-id", "new-refresh", 2000.0)


def _token(issuer: FakeIssuer, path: Path, login: Callable[[Any], Tokens] | None = None) -> Tokens:
    return credentials.token(issuer, path, login=login, now=lambda: 1000.0)  # type: ignore[arg-type]


def test_a_cached_token_with_time_left_is_used_as_is(tmp_path: Path) -> None:
    path = tmp_path / "c" / "t.json"
    credentials.save(path, Tokens("cached", "r", 1100.0))
    issuer = FakeIssuer()
    assert _token(issuer, path).id_token == "cached"
    assert issuer.refreshed == []


def test_an_expiring_token_is_refreshed_and_the_new_pair_cached(tmp_path: Path) -> None:
    path = tmp_path / "c" / "t.json"
    credentials.save(path, Tokens("old", "r1", 1000.0 + credentials.MARGIN_S - 1))
    issuer = FakeIssuer()
    assert _token(issuer, path).id_token == "new-id"
    assert issuer.refreshed == ["r1"]
    assert credentials.load(path) == Tokens("new-id", "new-refresh", 2000.0)


def test_without_a_terminal_a_refused_refresh_says_how_to_log_in(tmp_path: Path) -> None:
    path = tmp_path / "c" / "t.json"
    credentials.save(path, Tokens("old", "r1", 0.0))
    with pytest.raises(AuthError, match=r"refresh token was refused.*run `kbp auth login`"):
        _token(FakeIssuer(refuse=True), path)


def test_with_a_terminal_a_new_login_runs(tmp_path: Path) -> None:
    path = tmp_path / "c" / "t.json"
    found = _token(FakeIssuer(), path, login=lambda _: Tokens("logged-in", None, 5000.0))
    assert found.id_token == "logged-in"
    assert credentials.load(path) == found


def test_the_cache_is_private(tmp_path: Path) -> None:
    path = tmp_path / "c" / "t.json"
    credentials.save(path, Tokens("a", "b", 1.0))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_exec_credential_expires_before_the_token_does() -> None:
    cred = credentials.exec_credential(Tokens("tok", None, 1_800_000_000.0))
    assert cred["kind"] == "ExecCredential"
    assert cred["status"]["token"] == "tok"
    assert cred["status"]["expirationTimestamp"] == "2027-01-15T07:59:55Z"  # exp 08:00:00, minus the margin


def test_interactive_comes_from_kubectl() -> None:
    info = {"KUBERNETES_EXEC_INFO": json.dumps({"spec": {"interactive": True}})}
    assert credentials.interactive(info)
    assert not credentials.interactive({})


def test_entra_group_overage_is_a_clear_error() -> None:
    payload = {"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph"}}}
    with pytest.raises(AuthError, match="too many groups"):
        tokens.check_groups(payload, issuer="https://login.microsoftonline.com/t/v2.0")
    tokens.check_groups({"groups": ["a"]}, issuer="x")  # groups present: fine


def test_claims_reads_the_payload_and_refuses_what_is_not_a_jwt() -> None:
    assert tokens.claims(_jwt({"exp": 5}))["exp"] == 5
    with pytest.raises(AuthError, match="not a JWT"):
        tokens.claims("opaque")
