"""What each identity provider needs: its issuer URL, which claim names a person, where groups are.

A preset fills in the defaults; flags given on the command line win. Notes are what to set up at
the IdP itself, printed by `kbp auth oidc add`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kbp.auth import InvalidAuthError
from kbp.auth.issuers import Issuer, Rule, check_claim, check_name, check_url

# Entra ID leaves `groups` out of a token whose user is in more than 200 groups and points to
# Microsoft Graph instead (`_claim_names`/`_claim_sources`). Without this rule the API server would
# either fail to resolve that source or, with another claim mapping, let the user in with no
# groups; the rule turns it into a rejection whose message says why.
ENTRA_OVERAGE = Rule(
    expression="!('_claim_names' in claims) || !('groups' in claims._claim_names)",
    message=(
        "Entra ID left the groups claim out of the token (group overage: the user is in more than "
        "200 groups); set the app registration's groupMembershipClaims to ApplicationGroup and "
        "assign the groups to the application"
    ),
)
PRESETS = ("generic", "entra", "okta", "google", "keycloak", "dex")
GOOGLE_ISSUER = "https://accounts.google.com"


@dataclass(frozen=True)
class Choices:
    """The command line's words; None where the flag was not given."""

    name: str
    preset: str = "generic"
    issuer: str | None = None
    tenant: str | None = None  # Entra ID: the directory (tenant) ID
    client_id: str | None = None
    username_claim: str | None = None
    groups_claim: str | None = None
    ca_pem: str | None = None
    extra_audiences: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


def issuer(choices: Choices) -> Issuer:
    """The Issuer for a preset and the flags given; InvalidAuthError names what is missing or wrong."""
    if choices.preset not in PRESETS:
        raise InvalidAuthError(f'--preset "{choices.preset}": unknown (expected one of {", ".join(PRESETS)})')
    if not choices.client_id:
        raise InvalidAuthError("--client-id: required (the OAuth client ID; tokens must name it as audience)")
    base = _base(choices)
    if choices.username_claim:
        base = replace(base, username_claim=check_claim("--username-claim", choices.username_claim))
    if choices.groups_claim is not None:
        groups = check_claim("--groups-claim", choices.groups_claim) if choices.groups_claim else None
        base = replace(base, groups_claim=groups)
    extra = tuple(Rule(e, f"claim rule failed: {e}") for e in choices.rules)
    return replace(
        base,
        ca_pem=choices.ca_pem,
        extra_audiences=choices.extra_audiences,
        rules=(*base.rules, *extra),
    )


def _base(c: Choices) -> Issuer:
    name, client = check_name(c.name), str(c.client_id)
    if c.preset == "entra":
        if not c.tenant or c.issuer:
            raise InvalidAuthError(
                "--preset entra: give --tenant TENANT-ID (the issuer is "
                "https://login.microsoftonline.com/TENANT-ID/v2.0), not --issuer"
            )
        return Issuer(
            name,
            check_url(f"https://login.microsoftonline.com/{c.tenant}/v2.0"),
            client,
            # oid never changes and is never reassigned; upn changes when someone is renamed.
            username_claim="oid",
            groups_claim="groups",
            rules=(ENTRA_OVERAGE,),
            notes=(
                "Entra ID: set groupMembershipClaims (SecurityGroup or ApplicationGroup) in the app "
                "registration's manifest; groups arrive as object IDs, so `kbp team add --group` takes "
                "a group's object ID",
                "Entra ID: users are named by object ID (oid); use --username-claim upn for names that "
                "read well but change when a person is renamed",
                "Conditional Access can block the device-code flow; the plugin then needs a browser",
            ),
        )
    if c.tenant:
        raise InvalidAuthError(f"--tenant: only for --preset entra, not {c.preset}")
    if c.preset == "google":
        return Issuer(
            name,
            check_url(c.issuer or GOOGLE_ISSUER),
            client,
            groups_claim=None,
            rules=(Rule("claims.email_verified == true", "Google account email is not verified"),),
            notes=(
                "Google: ID tokens carry no groups, so `kbp team add --group` cannot match them; "
                "onboard people one by one with `kbp user add --oidc`",
                "Google returns a refresh token only to clients that ask for offline access",
            ),
        )
    if not c.issuer:
        raise InvalidAuthError(f"--issuer: required for --preset {c.preset}")
    url = check_url(c.issuer)
    notes = {
        "okta": (
            "Okta: use a custom authorization server (…/oauth2/default or your own) and add a "
            '"groups" claim with a filter to its ID token',
        ),
        "keycloak": (
            'Keycloak: the issuer is https://HOST/realms/REALM; add a "Group Membership" mapper '
            '(claim "groups", full path off) to the client',
        ),
    }.get(c.preset, ())
    return Issuer(name, url, client, notes=notes)
