"""`kbp user remove`: take a user's bindings away, and their namespace only when asked.

A client certificate cannot be revoked: Kubernetes has no revocation list for them. Removing the
RoleBindings is what ends access; the result says until when the certificate itself stays valid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from kbp import kube, metadata
from kbp.users import UserError, converging, plans, records


@dataclass(frozen=True)
class Removal:
    user: str
    bindings: tuple[str, ...]  # "namespace/name" of each RoleBinding deleted
    namespaces: tuple[str, ...]  # namespaces deleted (they terminate in the background)
    groups: tuple[str, ...]  # the groups the certificate still names
    cert_expires: dt.datetime | None  # the latest expiry recorded for the user
    identities: tuple[str, ...] = ()  # OIDC: the prefixed identities whose bindings went


def remove(client: kube.KubeClient, user: str, *, delete_namespace: bool, timeout_s: float = 30.0) -> Removal:
    """Delete the user's kbp RoleBindings (and namespaces); running it again finds nothing to do."""
    found = records.list_users(client, user=user)
    rbac = "rbac.authorization.k8s.io/v1"
    for record in found:
        _delete(client, rbac, "RoleBinding", plans.binding_name(user), record.namespace)
        try:
            who = record.identity or user
            converging.wait_for_access(client, who, record.namespace, allowed=False, timeout_s=timeout_s)
        except kube.WaitTimeoutError as exc:
            raise UserError(
                f'user "{user}": removed {record.namespace}/{plans.binding_name(user)}, but they can still '
                f'create Deployments in namespace "{record.namespace}" through a binding kbp did not make'
            ) from exc
    namespaces: list[str] = []
    if delete_namespace:
        selector = {**metadata.managed_selector(), metadata.USER: user}
        for ns in kube.list_objects(client, "v1", "Namespace", labels=selector):
            _delete(client, "v1", "Namespace", ns["metadata"]["name"])
            namespaces.append(ns["metadata"]["name"])
    expiries = [r.cert_expires for r in found if r.cert_expires is not None]
    groups = sorted({g for r in found for g in r.groups})
    return Removal(
        user=user,
        bindings=tuple(f"{r.namespace}/{plans.binding_name(user)}" for r in found),
        namespaces=tuple(namespaces),
        groups=tuple(groups),
        cert_expires=max(expiries) if expiries else None,
        identities=tuple(sorted({r.identity for r in found if r.identity})),
    )


def _delete(
    client: kube.KubeClient, api_version: str, kind: str, name: str, namespace: str | None = None
) -> None:
    with contextlib.suppress(kube.NotFoundError):  # gone already: removing twice is fine
        kube.delete(client, api_version, kind, name, namespace)
