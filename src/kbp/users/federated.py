"""Onboarding through an external identity system: an OIDC user, or an IdP group for a team.

No key and no CSR: the issuer vouches for the person, so kbp only binds the prefixed identity the
API server will see (`dex:alice@example.com`, `entra:<group object ID>`) and writes a kubeconfig
whose credential is the `kbp auth token` exec plugin. The namespace, quota, LimitRange, owner and
TTL are the same as for a certificate user; a failure undoes what this run created.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbp import kube, metadata
from kbp.auth.issuers import Issuer
from kbp.namespaces import catalog, isolation
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from kbp.users import InvalidUserError, UserError, converging, kubeconfig, plans, quotas, records
from kbp.users.kubeconfig import Endpoint
from kbp.users.plans import UserSpec

TEAM_PURPOSE = "team"


@dataclass(frozen=True)
class TeamSpec:
    team: str
    group: str  # the IdP's group, as the groups claim carries it
    issuer: Issuer
    namespace: str
    quota: str
    namespace_ttl: str = "forever"

    @property
    def rbac_group(self) -> str:
        return self.issuer.group(self.group)


def exec_kubeconfig(target: Endpoint, issuer: Issuer, *, user: str, namespace: str) -> dict[str, Any]:
    return kubeconfig.build_exec(
        target,
        user=user,
        namespace=namespace,
        issuer=issuer.url,
        client_id=issuer.client_id,
        issuer_ca_pem=issuer.ca_pem,
    )


def add_user(
    client: kube.KubeClient, target: Endpoint, spec: UserSpec, issuer: Issuer, *, out: Path, timeout_s: float
) -> records.UserRecord:
    """Bind `spec.identity` (prefixed) in the user's namespace; write the exec kubeconfig."""
    assert spec.identity is not None
    before = converging.existing(client, spec, dt.datetime.now(dt.UTC))
    converging.check_owner(before["Namespace", spec.namespace], spec)
    undo = converging.Undo()
    try:
        converging.converge(client, spec, None, before, undo)
        converging.wait_for_access(client, spec.identity, spec.namespace, allowed=True, timeout_s=timeout_s)
    except (kube.KubeError, UserError) as exc:
        _undo(client, undo, exc)
        raise
    document = exec_kubeconfig(target, issuer, user=spec.name, namespace=spec.namespace)
    kubeconfig.write_private(out, kubeconfig.render(document))
    return records.UserRecord(
        spec.name,
        spec.team,
        spec.namespace,
        spec.groups,
        None,
        spec.quota,
        kind="oidc",
        identity=spec.identity,
    )


def binding_name(team: str) -> str:
    return f"kbp-team-{team}"


def team_namespace(spec: TeamSpec, *, version: str) -> dict[str, Any]:
    """The team's namespace, hardened as every kbp namespace is (restricted Pod Security at `version`)."""
    ns = namespace_manifest(
        NamespaceSpec(
            name=spec.namespace, owner=spec.team, team=spec.team, purpose=TEAM_PURPOSE, ttl=spec.namespace_ttl
        ),
        version=version,
    )
    ns["metadata"]["labels"][metadata.TEAM_GROUP] = spec.team  # what `team remove --delete-namespace` selects
    return ns


def team_contents(spec: TeamSpec) -> list[dict[str, Any]]:
    """Quota, LimitRange, the NetworkPolicies of every kbp namespace, and the binding of the
    prefixed group to `edit` last: the team never sees its namespace unguarded."""
    profile = quotas.profile(spec.quota)
    labels = {**metadata.managed_selector(), metadata.TEAM_GROUP: spec.team}
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": binding_name(spec.team),
            "namespace": spec.namespace,
            "labels": {**labels, metadata.TEAM: spec.team},
            "annotations": {metadata.IDENTITY: spec.rbac_group, metadata.QUOTA_PROFILE: profile.name},
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": plans.CLUSTER_ROLE,
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": spec.rbac_group}],
    }
    return [
        quotas.resource_quota(profile, namespace=spec.namespace, labels=labels),
        quotas.limit_range(profile, namespace=spec.namespace, labels=labels),
        *isolation.network_policies(spec.namespace, labels=labels),
        binding,
    ]


def add_team(
    client: kube.KubeClient, spec: TeamSpec, *, timeout_s: float
) -> tuple[records.UserRecord, list[str]]:
    """Create the team's namespace if missing, apply what goes in it; returns the record and what changed."""
    ns = kube.find(client, "v1", "Namespace", spec.namespace)
    labels = (ns or {}).get("metadata", {}).get("labels") or {}
    if ns is not None and not (
        labels.get(metadata.MANAGED_BY) == metadata.MANAGED_BY_KBP
        and labels.get(metadata.TEAM_GROUP) == spec.team
    ):
        raise UserError(
            f'namespace "{spec.namespace}": exists and is not team {spec.team}\'s '
            f'(owner "{labels.get(metadata.OWNER, "")}"); choose another with -n'
        )
    undo = converging.Undo()
    changed: list[str] = []
    try:
        if ns is None:
            kube.apply(client, team_namespace(spec, version=catalog.pod_security_version(client)))
            undo.created.append(("v1", "Namespace", spec.namespace, None))
            changed.append(f"Namespace {spec.namespace}")
        for obj in team_contents(spec):
            meta = obj["metadata"]
            previous = kube.find(client, obj["apiVersion"], obj["kind"], meta["name"], spec.namespace)
            change = converging.apply_tracked(client, obj, spec.namespace, previous, undo)
            if change:
                changed.append(change)
        _wait_for_group(client, spec, timeout_s=timeout_s)
    except (kube.KubeError, UserError) as exc:
        _undo(client, undo, exc)
        raise
    record = records.UserRecord(
        spec.team,
        spec.team,
        spec.namespace,
        (spec.rbac_group,),
        None,
        spec.quota,
        kind="group",
        identity=spec.rbac_group,
    )
    return record, changed


def find_team(client: kube.KubeClient, team: str) -> list[dict[str, Any]]:
    return kube.list_objects(
        client,
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        labels={**metadata.managed_selector(), metadata.TEAM_GROUP: team},
    )


def list_teams(client: kube.KubeClient) -> list[records.UserRecord]:
    bindings = kube.list_objects(
        client,
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        labels={**metadata.managed_selector(), metadata.TEAM_GROUP: None},
    )
    return [r for r in map(records.from_binding, bindings) if r is not None]


def remove_team(client: kube.KubeClient, team: str, *, delete_namespace: bool) -> tuple[list[str], list[str]]:
    """Delete the team's bindings (and namespaces); returns what was deleted."""
    bindings = []
    for binding in find_team(client, team):
        meta = binding["metadata"]
        with contextlib.suppress(kube.NotFoundError):
            kube.delete(
                client, "rbac.authorization.k8s.io/v1", "RoleBinding", meta["name"], meta["namespace"]
            )
        bindings.append(f"{meta['namespace']}/{meta['name']}")
    namespaces = []
    if delete_namespace:
        selector = {**metadata.managed_selector(), metadata.TEAM_GROUP: team}
        for ns in kube.list_objects(client, "v1", "Namespace", labels=selector):
            with contextlib.suppress(kube.NotFoundError):
                kube.delete(client, "v1", "Namespace", ns["metadata"]["name"])
            namespaces.append(ns["metadata"]["name"])
    return bindings, namespaces


def check_group(group: str) -> str:
    if not group or len(group) > 256 or any(c.isspace() for c in group) or "," in group:
        raise InvalidUserError(
            f'--group "{group}": not an IdP group (expected the value the groups claim carries, '
            "without spaces or commas, e.g. payments-devs or an Entra object ID)"
        )
    if group.startswith("system:"):
        raise InvalidUserError(f'--group "{group}": refused, names starting with "system:" are reserved')
    return group


def _wait_for_group(client: kube.KubeClient, spec: TeamSpec, *, timeout_s: float) -> None:
    # A member's own name is unknown here; any user in the group will do for the check.
    probe = f"{spec.issuer.prefix}kbp-probe"

    def settled() -> bool | None:
        return True if kube.can(
            client, user=probe, groups=(spec.rbac_group,), verb="create", resource="deployments",
            group="apps", namespace=spec.namespace,
        ) else None  # fmt: skip

    kube.wait_for(settled, timeout=timeout_s, what=f"RBAC to grant group {spec.rbac_group}", interval=0.05)


def _undo(client: kube.KubeClient, undo: converging.Undo, exc: Exception) -> None:
    failures = undo.run(client)
    if failures:
        raise UserError(f"{exc}; and could not undo: {'; '.join(failures)}") from exc


def check_identity(identity: str) -> str:
    if not identity or len(identity) > 256 or any(c.isspace() for c in identity):
        raise InvalidUserError(
            f'--identity "{identity}": not a username claim value (no spaces, at most 256 characters, '
            "e.g. alice@example.com or an Entra object ID)"
        )
    return identity
