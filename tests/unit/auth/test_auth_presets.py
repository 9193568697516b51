"""Presets and the `jwt` entries they become: pure data."""

from __future__ import annotations

from typing import Any

import pytest

from kbp.auth import InvalidAuthError, issuers, presets
from kbp.auth.presets import Choices


def _entry(**kwargs: Any) -> dict[str, Any]:
    return issuers.jwt_authenticator(presets.issuer(Choices(**kwargs)))


def test_dex_maps_email_and_groups_with_the_issuer_name_as_prefix() -> None:
    entry = _entry(name="dex", preset="dex", issuer="https://dex.example/dex", client_id="kbp")
    assert entry["issuer"] == {"url": "https://dex.example/dex", "audiences": ["kbp"]}
    assert entry["claimMappings"] == {
        "username": {"claim": "email", "prefix": "dex:"},
        "groups": {"claim": "groups", "prefix": "dex:"},
    }


def test_every_entry_refuses_system_names_even_if_the_prefix_were_changed() -> None:
    entry = _entry(name="dex", preset="dex", issuer="https://dex.example", client_id="kbp")
    expressions = [r["expression"] for r in entry["userValidationRules"]]
    assert "!user.username.startsWith('system:')" in expressions
    assert "user.groups.all(g, !g.startsWith('system:'))" in expressions


def test_entra_uses_the_v2_issuer_oid_and_rejects_group_overage() -> None:
    entry = _entry(name="entra", preset="entra", tenant="t-1", client_id="app")
    assert entry["issuer"]["url"] == "https://login.microsoftonline.com/t-1/v2.0"
    assert entry["claimMappings"]["username"] == {"claim": "oid", "prefix": "entra:"}
    (rule,) = entry["claimValidationRules"]
    assert "_claim_names" in rule["expression"]
    assert "group overage" in rule["message"]


def test_entra_upn_on_request() -> None:
    entry = _entry(name="entra", preset="entra", tenant="t", client_id="a", username_claim="upn")
    assert entry["claimMappings"]["username"]["claim"] == "upn"


def test_google_has_no_groups_and_requires_a_verified_email() -> None:
    entry = _entry(name="google", preset="google", client_id="x.apps.googleusercontent.com")
    assert entry["issuer"]["url"] == "https://accounts.google.com"
    assert "groups" not in entry["claimMappings"]
    assert entry["claimValidationRules"][0]["expression"] == "claims.email_verified == true"


def test_extra_audiences_match_any_and_rules_are_kept() -> None:
    entry = _entry(
        name="okta", preset="okta", issuer="https://o.okta.com/oauth2/default", client_id="a",
        extra_audiences=("b",), rules=("claims.amr.exists(m, m == 'mfa')",),
    )  # fmt: skip
    assert entry["issuer"]["audiences"] == ["a", "b"]
    assert entry["issuer"]["audienceMatchPolicy"] == "MatchAny"
    assert entry["claimValidationRules"][0]["expression"] == "claims.amr.exists(m, m == 'mfa')"


def test_an_entry_reads_back_as_the_issuer_it_came_from() -> None:
    issuer = presets.issuer(
        Choices(
            name="kc", preset="keycloak", issuer="https://kc.example/realms/r", client_id="k", ca_pem="PEM"
        )
    )
    back = issuers.from_authenticator(issuers.jwt_authenticator(issuer))
    assert (back.name, back.url, back.client_id, back.ca_pem) == ("kc", issuer.url, "k", "PEM")
    assert (back.username_claim, back.groups_claim) == ("email", "groups")


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        pytest.param(Choices("dex", "dex", "http://dex.example", client_id="k"), "only https://", id="http"),
        pytest.param(Choices("dex", "dex", None, client_id="k"), "--issuer: required", id="no-issuer"),
        pytest.param(Choices("dex", "dex", "https://d"), "--client-id: required", id="no-client"),
        pytest.param(Choices("system", "dex", "https://d", client_id="k"), "refused", id="system-prefix"),
        pytest.param(Choices("Dex!", "dex", "https://d", client_id="k"), "not valid", id="bad-name"),
        pytest.param(Choices("e", "entra", client_id="k"), "--tenant", id="entra-no-tenant"),
        pytest.param(Choices("e", "nope", "https://d", client_id="k"), "unknown", id="unknown-preset"),
        pytest.param(
            Choices("d", "dex", "https://d", client_id="k", username_claim="a b"),
            "not a claim",
            id="bad-claim",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_flag(choices: Choices, message: str) -> None:
    with pytest.raises(InvalidAuthError, match=message):
        presets.issuer(choices)
