"""Who may be onboarded: checks on names, groups and teams, run before any API call.

A client certificate's CN becomes the user name and each O a group, and the API server believes
them: `O=system:masters` is cluster-admin that no RBAC rule can take away. So kbp refuses the
`system:` namespace of names outright, plus the groups that clusters bind to cluster-admin.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kbp.users import InvalidUserError

# Groups bound to cluster-admin by Kubernetes (system:masters) and kubeadm (1.29+).
ADMIN_GROUPS = frozenset({"system:masters", "kubeadm:cluster-admins"})
RESERVED_PREFIX = "system:"
NAMESPACE_PREFIX = "dev-"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_GROUP = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.:]*[A-Za-z0-9])?")
DNS_LABEL_MAX = 63
GROUP_MAX = 64  # X.509's upper bound for an organizationName
NAME_MAX = DNS_LABEL_MAX - len(NAMESPACE_PREFIX)  # room for the default namespace "dev-NAME"
DNS_LABEL_FORM = "lowercase letters, digits and '-', starting and ending with a letter or digit"


def check_user(name: str) -> str:
    """The user name, or InvalidUserError saying why it cannot be one."""
    _check_reserved("user", name)
    if len(name) > NAME_MAX or not _DNS_LABEL.fullmatch(name):
        raise InvalidUserError(
            f'user "{name}": not a valid name (expected a DNS label of at most {NAME_MAX} characters: '
            f"{DNS_LABEL_FORM}, e.g. alice)"
        )
    return name


def check_team(team: str) -> str:
    if len(team) > DNS_LABEL_MAX or not _DNS_LABEL.fullmatch(team):
        raise InvalidUserError(f'team "{team}": not a valid team (expected a DNS label: {DNS_LABEL_FORM})')
    return team


def check_namespace(namespace: str) -> str:
    _check_reserved("namespace", namespace)
    if len(namespace) > DNS_LABEL_MAX or not _DNS_LABEL.fullmatch(namespace):
        raise InvalidUserError(
            f'namespace "{namespace}": not a valid namespace (expected a DNS label: {DNS_LABEL_FORM})'
        )
    return namespace


def check_groups(groups: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated groups, or InvalidUserError naming the first bad one."""
    checked: set[str] = set()
    for group in groups:
        if group in ADMIN_GROUPS:
            raise InvalidUserError(
                f'group "{group}": refused, it is bound to cluster-admin and no RBAC rule can limit it'
            )
        _check_reserved("group", group)
        if len(group) > GROUP_MAX or not _GROUP.fullmatch(group):
            raise InvalidUserError(
                f'group "{group}": not a valid group (expected at most {GROUP_MAX} letters, digits, '
                "'-', '_', '.' or ':', starting and ending with a letter or digit, e.g. team:payments)"
            )
        checked.add(group)
    return tuple(sorted(checked))


def split_groups(text: str) -> tuple[str, ...]:
    """`--groups a,b` as given on the command line (empty items dropped)."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def default_namespace(user: str) -> str:
    return f"{NAMESPACE_PREFIX}{user}"


def _check_reserved(what: str, name: str) -> None:
    if name.startswith(RESERVED_PREFIX) or name in ADMIN_GROUPS:
        raise InvalidUserError(
            f'{what} "{name}": refused, names starting with "{RESERVED_PREFIX}" are reserved for '
            "Kubernetes' own components"
        )
