"""`kbp dev`: one developer's own copy of the journal, from nothing, with one command.

The namespace is the developer's: the one their kubeconfig's context names (what `kbp user add`
writes), else `dev-<user>`, created with the same owner, team, purpose and TTL metadata as
`kbp ns create`. An onboarded developer may not read or create namespaces (their RoleBinding is
`edit` inside their own), so an existing namespace they may deploy into is used as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kbp import kube, metadata
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec

PURPOSE = "kbp dev: a developer's copy of the journal"
DEFAULT_TTL = "7d"
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


class DevError(Exception):
    """The developer's namespace cannot be made or used; the message says why and what to do."""


class NamespaceState(StrEnum):
    created = "created"
    reused = "reused"
    # It exists and the developer may deploy into it, but may not read its metadata (onboarded users).
    reused_unseen = "reused (metadata not visible to you)"


@dataclass(frozen=True)
class Developer:
    user: str
    groups: tuple[str, ...]


def label_value(text: str) -> str:
    """`alice@example.com` -> `alice-example-com`: usable in a namespace name and as a label value."""
    return _NOT_LABEL.sub("-", text.lower()).strip("-")[:50] or "dev"


def namespace_for(developer: Developer, *, explicit: str | None, context_namespace: str) -> str:
    """`-n` wins; then the context's namespace unless it is `default`; then `dev-<user>`."""
    if explicit:
        return explicit
    if context_namespace and context_namespace != "default":
        return context_namespace
    return f"dev-{label_value(developer.user)}"


def team_of(developer: Developer, explicit: str | None) -> str | None:
    """`--team`, else the developer's first group that is not a `system:` one."""
    if explicit:
        return explicit
    for group in developer.groups:
        if not group.startswith("system:"):
            return label_value(group)
    return None


def who(client: kube.KubeClient) -> Developer:
    info = kube.whoami(client)
    return Developer(str(info.get("username", "")), tuple(str(g) for g in info.get("groups") or ()))


def ensure_namespace(
    client: kube.KubeClient, name: str, *, developer: Developer, team: str | None, ttl: str
) -> NamespaceState:
    """Reuse the developer's namespace, or create it with kbp's metadata; never adopt another's."""
    try:
        existing = kube.find(client, "v1", "Namespace", name)
    except kube.ForbiddenError:
        if kube.can_i(client, verb="create", resource="deployments", group="apps", namespace=name):
            return NamespaceState.reused_unseen
        raise DevError(
            f'namespace "{name}": you may neither read it nor deploy into it; '
            "ask your platform team for one (kbp user add), or pass -n with yours"
        ) from None
    if existing is not None:
        return NamespaceState.reused
    if team is None:
        raise DevError(f'namespace "{name}" does not exist; pass --team to create it')
    spec = NamespaceSpec(name=name, owner=label_value(developer.user), team=team, purpose=PURPOSE, ttl=ttl)
    try:
        catalog.create(client, spec)
    except kube.ForbiddenError as err:
        raise DevError(f'namespace "{name}" does not exist and you may not create it: {err}') from None
    return NamespaceState.created


def dev_host(release: str, namespace: str, shared_host: str) -> str:
    """`journal` in `dev-alice` on `journal.dev.localhost` -> `journal-dev-alice.dev.localhost`.

    One label more under the dev listener's wildcard (`*.dev.localhost` covers exactly one), so
    every developer's copy has a route of its own instead of all sharing the chart's host.
    """
    _, _, domain = shared_host.partition(".")
    if not domain:
        raise DevError(f'values-dev.yaml: exposure.host "{shared_host}" has no domain to put copies under')
    label = _NOT_LABEL.sub("-", f"{release}-{namespace}".lower())[:63].strip("-")
    return f"{label}.{domain}"


def dev_values(expose: str, *, host: str | None = None) -> dict[str, Any]:
    """On top of values-dev.yaml: how the copy is reached (no gateway by default), on its own host."""
    exposure: dict[str, Any] = {"kind": expose}
    if host and expose != "none":
        exposure["host"] = host
    return {"exposure": exposure}


def reach(release: str, namespace: str, url: str | None) -> Sequence[str]:
    """How to reach the copy, as commands to run."""
    if url:
        return (f"open {url}",)
    # Without a gateway the fileserver sends /api to the API (the chart, exposure.kind=none), so the
    # UI and the API it calls are one port-forward away.
    return (
        f"kubectl -n {namespace} port-forward svc/{release}-fileserver 8080:80"
        "   # then: open http://localhost:8080 (UI), curl localhost:8080/api",
    )


def delete_namespace(client: kube.KubeClient, name: str, *, developer: Developer) -> None:
    """Delete the namespace if kbp made it for this developer; anything else is refused."""
    not_yours = DevError(
        f'namespace "{name}" is not yours to delete: your platform team removes it '
        "(kbp user remove --delete-namespace)"
    )
    try:
        existing = kube.find(client, "v1", "Namespace", name)
    except kube.ForbiddenError:
        raise not_yours from None
    if existing is None:
        return
    labels = existing.get("metadata", {}).get("labels") or {}
    if labels.get(metadata.MANAGED_BY) != metadata.MANAGED_BY_KBP or labels.get(
        metadata.OWNER
    ) != label_value(developer.user):
        raise DevError(f'namespace "{name}" was not made by kbp for {developer.user}; kbp will not delete it')
    try:
        kube.delete(client, "v1", "Namespace", name)
    except kube.ForbiddenError:
        raise not_yours from None
