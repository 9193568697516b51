"""One OIDC issuer as kbp describes it, and the `jwt` entry of an AuthenticationConfiguration it becomes.

Every issuer gets a name, and its users and groups reach RBAC as `NAME:value`: no IdP account can
then be called `system:anything`, collide with a certificate user (their names are DNS labels,
which have no colon) or with another issuer's users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kbp.auth import InvalidAuthError

_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
RESERVED = ("system", "kubernetes", "kubeadm", "eks", "aks")  # prefixes the platforms use themselves


@dataclass(frozen=True)
class Rule:
    """A CEL expression over the token's claims that must hold, and what the API server logs if not."""

    expression: str
    message: str


@dataclass(frozen=True)
class Issuer:
    name: str  # the prefix of every user and group: "NAME:"
    url: str
    client_id: str  # the audience the API server requires; the token plugin's OAuth client
    username_claim: str = "email"
    groups_claim: str | None = "groups"  # None: the IdP sends no groups (Google)
    ca_pem: str | None = None  # None: the system trust store
    extra_audiences: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)  # what to do at the IdP, for people

    @property
    def prefix(self) -> str:
        return f"{self.name}:"

    def username(self, identity: str) -> str:
        """The name RBAC sees for this IdP identity (the username claim's value)."""
        return f"{self.prefix}{identity}"

    def group(self, idp_group: str) -> str:
        return f"{self.prefix}{idp_group}"


def check_name(name: str) -> str:
    if len(name) > 32 or not _NAME.fullmatch(name):
        raise InvalidAuthError(
            f'issuer name "{name}": not valid (expected at most 32 lowercase letters, digits and '
            "'-', e.g. dex or entra; it becomes the prefix NAME: of every user and group)"
        )
    if name in RESERVED:
        raise InvalidAuthError(f'issuer name "{name}": refused, "{name}:" is a prefix the platform uses')
    return name


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidAuthError(f'issuer URL "{url}": the API server accepts only https:// issuers')
    if parts.query or parts.fragment:
        raise InvalidAuthError(f'issuer URL "{url}": must have no query or fragment')
    return url


def check_claim(flag: str, claim: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", claim):
        raise InvalidAuthError(f'{flag} "{claim}": not a claim name (letters, digits and "_")')
    return claim


def jwt_authenticator(issuer: Issuer) -> dict[str, Any]:
    """The `jwt` list entry the API server reads (apiserver.config.k8s.io/v1)."""
    spec: dict[str, Any] = {"url": issuer.url, "audiences": [issuer.client_id, *issuer.extra_audiences]}
    if issuer.extra_audiences:
        spec["audienceMatchPolicy"] = "MatchAny"
    if issuer.ca_pem:
        spec["certificateAuthority"] = issuer.ca_pem
    mappings: dict[str, Any] = {"username": {"claim": issuer.username_claim, "prefix": issuer.prefix}}
    if issuer.groups_claim:
        mappings["groups"] = {"claim": issuer.groups_claim, "prefix": issuer.prefix}
    entry: dict[str, Any] = {"issuer": spec, "claimMappings": mappings}
    if issuer.rules:
        entry["claimValidationRules"] = [
            {"expression": r.expression, "message": r.message} for r in issuer.rules
        ]
    entry["userValidationRules"] = [
        {
            "expression": "!user.username.startsWith('system:')",
            "message": "usernames starting with system: are reserved",
        },
        {
            "expression": "user.groups.all(g, !g.startsWith('system:'))",
            "message": "groups starting with system: are reserved",
        },
    ]
    return entry


def from_authenticator(entry: dict[str, Any]) -> Issuer:
    """The Issuer a `jwt` entry describes: its name is the username prefix without the colon."""
    spec = entry.get("issuer") or {}
    mappings = entry.get("claimMappings") or {}
    username = mappings.get("username") or {}
    groups = mappings.get("groups") or {}
    prefix = str(username.get("prefix") or "")
    audiences = [str(a) for a in spec.get("audiences") or []]
    rules = tuple(
        Rule(str(r.get("expression", "")), str(r.get("message", "")))
        for r in entry.get("claimValidationRules") or []
    )
    return Issuer(
        name=prefix.removesuffix(":") or str(spec.get("url", "")),
        url=str(spec.get("url", "")),
        client_id=audiences[0] if audiences else "",
        username_claim=str(username.get("claim") or username.get("expression") or ""),
        groups_claim=str(groups.get("claim")) if groups.get("claim") else None,
        ca_pem=spec.get("certificateAuthority"),
        extra_audiences=tuple(audiences[1:]),
        rules=rules,
    )
