"""What the API server says of a caller: who it is (SelfSubjectReview), and what it or another
user may do (SelfSubjectAccessReview, SubjectAccessReview)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightkube import Client

from kbp.kube.objects import create


def whoami(client: Client) -> dict[str, Any]:
    """The authenticated user as the server sees it (SelfSubjectReview): username, groups, extra."""
    review = create(client, {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    user: dict[str, Any] = review.get("status", {}).get("userInfo", {})
    return user


def can_i(
    client: Client,
    *,
    verb: str,
    resource: str,
    group: str = "",
    namespace: str | None = None,
    name: str | None = None,
) -> bool:
    """Whether the caller may do this now (SelfSubjectAccessReview: every authenticated user may ask)."""
    attributes = _attributes(verb, resource, group, namespace)
    if name is not None:
        attributes["name"] = name
    spec = {"resourceAttributes": attributes}
    return _allowed(client, "SelfSubjectAccessReview", spec)


def can(
    client: Client,
    *,
    user: str,
    groups: tuple[str, ...] = (),
    verb: str,
    resource: str,
    group: str = "",
    namespace: str | None = None,
) -> bool:
    """Whether the API server's authorizer allows `user` this action now (SubjectAccessReview)."""
    attributes = _attributes(verb, resource, group, namespace)
    spec = {"user": user, "groups": list(groups), "resourceAttributes": attributes}
    return _allowed(client, "SubjectAccessReview", spec)


def _attributes(verb: str, resource: str, group: str, namespace: str | None) -> dict[str, str]:
    attributes = {"verb": verb, "resource": resource, "group": group}
    if namespace is not None:
        attributes["namespace"] = namespace
    return attributes


def _allowed(client: Client, kind: str, spec: Mapping[str, Any]) -> bool:
    review = create(client, {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": dict(spec)})
    return bool(review.get("status", {}).get("allowed"))
