"""Who has been onboarded, read back from the RoleBindings `kbp user add` and `kbp team add` made.

Three kinds: a certificate user (CSR API), an OIDC user (a prefixed identity from an issuer) and
an IdP group (a team's namespace bound to a prefixed group). Never read from CSRs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kbp import kube, metadata
from kbp.namespaces.ttl import format_duration, format_instant


@dataclass(frozen=True)
class UserRecord:
    name: str
    team: str
    namespace: str
    groups: tuple[str, ...]
    cert_expires: dt.datetime | None  # None when the annotation is missing or unreadable
    quota: str
    kind: str = "certificate"  # "certificate", "oidc" or "group"
    identity: str | None = None  # what RBAC sees: the prefixed OIDC user or group


def list_users(client: kube.KubeClient, *, user: str | None = None) -> list[UserRecord]:
    """Every onboarded user (or only `user`): one list call, no certificate parsed."""
    bindings = kube.list_objects(
        client,
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        labels={**metadata.managed_selector(), metadata.USER: user},
    )
    return [r for r in map(from_binding, bindings) if r is not None]


def from_binding(binding: Mapping[str, Any]) -> UserRecord | None:
    """The record on one of kbp's user RoleBindings, or None if it is not one."""
    meta = binding.get("metadata", {})
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    identity = annotations.get(metadata.IDENTITY)
    team = labels.get(metadata.TEAM_GROUP)
    if team:
        return UserRecord(
            name=team,
            team=team,
            namespace=meta.get("namespace", ""),
            groups=(identity,) if identity else (),
            cert_expires=None,
            quota=annotations.get(metadata.QUOTA_PROFILE, ""),
            kind="group",
            identity=identity,
        )
    name = labels.get(metadata.USER)
    if not name:
        return None
    groups = annotations.get(metadata.GROUPS, "")
    return UserRecord(
        name=name,
        team=labels.get(metadata.TEAM, ""),
        namespace=meta.get("namespace", ""),
        groups=tuple(g for g in groups.split(",") if g),
        cert_expires=_parse_time(annotations.get(metadata.CERT_EXPIRES)),
        quota=annotations.get(metadata.QUOTA_PROFILE, ""),
        kind="oidc" if identity else "certificate",
        identity=identity,
    )


def expiring_first(records: Iterable[UserRecord]) -> list[UserRecord]:
    """Soonest expiry first; records with no known expiry at the end, then by name."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(records, key=lambda r: (r.cert_expires or far, r.name, r.namespace))


def row(record: UserRecord, *, now: dt.datetime, window: dt.timedelta) -> dict[str, Any]:
    """One line of `kbp user list`: the record, time left, and whether it needs renewing soon
    (only certificates expire; an IdP account lives as long as the IdP keeps it)."""
    left = record.cert_expires - now if record.cert_expires else None
    certificate = record.kind == "certificate"
    return {
        "name": record.name,
        "kind": record.kind,
        "identity": record.identity or record.name,
        "team": record.team,
        "namespace": record.namespace,
        "groups": list(record.groups),
        "quota": record.quota,
        "certExpires": format_instant(record.cert_expires) if record.cert_expires else None,
        "expiresIn": format_duration(left) if left is not None else None,
        "expiring": certificate and (left is None or left <= window),
        "expired": certificate and left is not None and left <= dt.timedelta(0),
    }


def _parse_time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
