"""Every label and annotation key kbp writes or reads, in one place.

Labels are what kbp queries (`-l`); everything else is an annotation (Helm's guide). The TTL keys are
kube-janitor's, so its habits and tooling carry over.
"""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "kbp.dev"

# Labels: selectable.
MANAGED_BY: Final = "app.kubernetes.io/managed-by"
MANAGED_BY_KBP: Final = "kbp"  # the reaper touches only namespaces with MANAGED_BY=MANAGED_BY_KBP
OWNER: Final = f"{DOMAIN}/owner"
TEAM: Final = f"{DOMAIN}/team"
USER: Final = f"{DOMAIN}/user"  # on the objects `kbp user add` creates for one user
TEAM_GROUP: Final = f"{DOMAIN}/team-group"  # on the objects `kbp team add` creates for an IdP group

# Annotations: descriptive.
PURPOSE: Final = f"{DOMAIN}/purpose"
GROUPS: Final = f"{DOMAIN}/groups"  # a user's groups, comma-separated
CERT_EXPIRES: Final = f"{DOMAIN}/cert-expires"  # RFC 3339; user list reads this, never CSRs
IDENTITY: Final = f"{DOMAIN}/identity"  # the prefixed OIDC user or group a binding names
QUOTA_PROFILE: Final = f"{DOMAIN}/quota-profile"  # the named profile a user's quota and limits came from
TTL: Final = "janitor/ttl"  # "7d", "forever"
EXPIRES: Final = "janitor/expires"  # RFC 3339 or a plain date
REAP_WARNED_AT: Final = f"{DOMAIN}/reap-warned-at"  # RFC 3339, set by the reaper's warning
CONFIG_VERSION: Final = f"{DOMAIN}/config-version"  # the journal's ConfigMap version on its Deployment


def managed_selector() -> dict[str, str]:
    """The label selector for namespaces kbp created."""
    return {MANAGED_BY: MANAGED_BY_KBP}
