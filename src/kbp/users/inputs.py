"""The command line's words made into a UserSpec, every one checked before any API call."""

from __future__ import annotations

import datetime as dt

from kbp.namespaces.ttl import LifetimeError, parse_duration, parse_ttl
from kbp.users import InvalidUserError, names, plans, quotas


def user_spec(
    name: str,
    *,
    team: str,
    groups: str,
    quota: str,
    namespace: str | None,
    cert_ttl: str,
    ttl: str = "forever",
) -> plans.UserSpec:
    """The user as given (`groups` comma-separated); InvalidUserError names the first bad word."""
    spec = plans.UserSpec(
        name=names.check_user(name),
        team=names.check_team(team),
        groups=names.check_groups(names.split_groups(groups)),
        namespace=names.check_namespace(namespace or names.default_namespace(name)),
        quota=quota,
        cert_ttl=certificate_ttl(cert_ttl),
        namespace_ttl=ttl,
    )
    try:
        quotas.profile(quota)
    except KeyError as exc:
        raise InvalidUserError(f"--quota: {exc.args[0]}") from None
    try:
        parse_ttl(ttl)
    except LifetimeError as exc:
        raise InvalidUserError(f"--ttl {exc}") from None
    return spec


def certificate_ttl(text: str) -> dt.timedelta:
    ttl = duration("--cert-ttl", text)
    if ttl < plans.MIN_CERT_TTL:
        raise InvalidUserError(f'--cert-ttl "{text}": too short (the API requires at least 10m)')
    return ttl


def duration(flag: str, text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except LifetimeError as exc:
        raise InvalidUserError(f"{flag} {exc}") from None
