"""The RBAC escapes a developer might try: every onboarding kind must be forbidden each of them."""

from __future__ import annotations

from typing import Any

from kbp import kube
from kbp.users import quotas


def forbidden_actions(ns: str, user: str, other_namespace: str) -> dict[str, Any]:
    """What a developer must not do from their namespace `ns` (each a call on their client)."""
    widen = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "widen", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
    }
    quota_edit = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": quotas.QUOTA_NAME, "namespace": ns},
        "spec": {"hard": {"requests.cpu": "100"}},
    }
    second_limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "mine", "namespace": ns},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "8"}}]},
    }
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": other_namespace},
    }
    return {
        "read-secrets-in-kube-system": lambda c: kube.list_objects(c, "v1", "Secret", "kube-system"),
        "list-namespaces": lambda c: kube.list_objects(c, "v1", "Namespace"),
        "create-rolebinding-to-admin": lambda c: kube.create(c, widen),
        "edit-own-quota": lambda c: kube.apply(c, quota_edit),
        "delete-own-quota": lambda c: kube.delete(c, "v1", "ResourceQuota", quotas.QUOTA_NAME, ns),
        "delete-own-limitrange": lambda c: kube.delete(c, "v1", "LimitRange", quotas.LIMITS_NAME, ns),
        "add-a-second-limitrange": lambda c: kube.create(c, second_limits),
        "delete-own-namespace": lambda c: kube.delete(c, "v1", "Namespace", ns),
        "create-in-another-developers-namespace": lambda c: kube.create(c, configmap),
        "list-pods-in-another-developers-namespace": lambda c: kube.list_objects(
            c, "v1", "Pod", other_namespace
        ),
    }


ACTIONS = [
    "read-secrets-in-kube-system",
    "list-namespaces",
    "create-rolebinding-to-admin",
    "edit-own-quota",
    "delete-own-quota",
    "delete-own-limitrange",
    "add-a-second-limitrange",
    "delete-own-namespace",
    "create-in-another-developers-namespace",
    "list-pods-in-another-developers-namespace",
]
