"""A user's namespace made to hold what their plan says: what exists already, whose it is, the
objects applied (each new one kept for undo), and the wait until RBAC has caught up. `kbp user
add` and the OIDC onboarding (`federated`) both converge through here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from kbp import kube, metadata
from kbp.namespaces import catalog, isolation
from kbp.users import UserError, plans
from kbp.users.plans import UserSpec


@dataclass
class Undo:
    """What this run created, deleted in reverse if the run fails."""

    created: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def run(self, client: kube.KubeClient) -> list[str]:
        failures = []
        for api_version, kind, name, namespace in reversed(self.created):
            try:
                kube.delete(client, api_version, kind, name, namespace)
            except kube.NotFoundError:
                pass
            except kube.KubeError as exc:
                failures.append(f"{kind} {name}: {exc}")
        return failures


Existing = dict[tuple[str, str], dict[str, Any] | None]  # (kind, name) -> the object, if it exists


def existing(client: kube.KubeClient, spec: UserSpec, at: dt.datetime) -> Existing:
    found = {("Namespace", spec.namespace): kube.find(client, "v1", "Namespace", spec.namespace)}
    for obj in plans.contents(spec, at):
        kind, name = obj["kind"], obj["metadata"]["name"]
        found[kind, name] = kube.find(client, obj["apiVersion"], kind, name, spec.namespace)
    return found


def check_owner(ns: dict[str, Any] | None, spec: UserSpec) -> None:
    labels = (ns or {}).get("metadata", {}).get("labels") or {}
    if ns is None or (
        labels.get(metadata.MANAGED_BY) == metadata.MANAGED_BY_KBP and labels.get(metadata.OWNER) == spec.name
    ):
        return
    owner, manager = labels.get(metadata.OWNER, ""), labels.get(metadata.MANAGED_BY, "")
    raise UserError(
        f'namespace "{spec.namespace}": exists and is not {spec.name}\'s '
        f'(owner "{owner}", managed by "{manager}"); choose another with -n'
    )


def converge(
    client: kube.KubeClient,
    spec: UserSpec,
    expires: dt.datetime | None,
    before: Existing,
    undo: Undo,
) -> list[str]:
    """Create the namespace if missing (never re-apply it: `kbp ns` may have changed its TTL since),
    then apply the rest; returns what changed."""
    changed = []
    ns = before["Namespace", spec.namespace]
    version = catalog.pod_security_version(client)
    if ns is None:
        kube.apply(client, plans.namespace(spec, version=version))
        undo.created.append(("v1", "Namespace", spec.namespace, None))
        changed.append(f"Namespace {spec.namespace}")
    else:
        labels = ns["metadata"].get("labels") or {}
        # A namespace `kbp ns create` made for this owner: adopt it with a label of our own, and
        # restricted Pod Security if it has no level yet (one the platform exempted stays as it is).
        adopt = {} if labels.get(metadata.USER) == spec.name else {metadata.USER: spec.name}
        if not isolation.has_pod_security(ns):
            adopt |= isolation.pod_security_labels(isolation.Level.restricted, version)
        if adopt:
            label = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": spec.namespace, "labels": adopt},
            }
            kube.apply(client, label)
            changed.append(f"Namespace {spec.namespace}")
    for obj in plans.contents(spec, expires):
        previous = before[obj["kind"], obj["metadata"]["name"]]
        change = apply_tracked(client, obj, spec.namespace, previous, undo)
        if change:
            changed.append(change)
    return changed


def apply_tracked(
    client: kube.KubeClient,
    obj: dict[str, Any],
    namespace: str,
    previous: dict[str, Any] | None,
    undo: Undo,
) -> str | None:
    """Apply one object of `namespace`, kept for undo if new; returns what changed, if anything."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    stored = kube.apply(client, obj)
    if previous is None:
        undo.created.append((obj["apiVersion"], kind, name, namespace))
    elif previous["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]:
        return None
    return f"{kind} {namespace}/{name}"


def wait_for_access(
    client: kube.KubeClient, user: str, namespace: str, *, allowed: bool, timeout_s: float
) -> None:
    """Return once the authorizer's view of the bindings has caught up: the user can (or can no
    longer) create Deployments in the namespace. RBAC reads bindings from a cache, so a request
    sent the instant a binding is written could still be judged on the old rules."""

    def settled() -> bool | None:
        now = kube.can(
            client, user=user, verb="create", resource="deployments", group="apps", namespace=namespace
        )
        return True if now == allowed else None

    kube.wait_for(
        settled,
        timeout=timeout_s,
        what=f"RBAC to {'grant' if allowed else 'revoke'} {user}'s access",
        interval=0.05,
    )
