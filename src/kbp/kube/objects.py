"""Objects as plain dicts: server-side apply, create, get, list, patch, delete."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lightkube import ALL_NS, Client
from lightkube.core.resource import NamespacedResource
from lightkube.operators import not_equal
from lightkube.types import PatchType

from kbp.kube.decoding import first_decode
from kbp.kube.errors import NotFoundError, translated
from kbp.kube.kinds import resource, to_dict, to_object, untyped


def apply(client: Client, manifest: Mapping[str, Any], *, force: bool = True) -> dict[str, Any]:
    """Server-side apply one manifest; returns the object as the server stored it."""
    obj = to_object(client, manifest)
    namespace = manifest.get("metadata", {}).get("namespace")
    with translated(), first_decode(type(obj)):
        return to_dict(untyped(client).apply(obj, namespace=namespace, force=force))


def create(client: Client, manifest: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    """Create one object (fails with KubeError 409 if it exists); `dry_run` runs admission, stores nothing."""
    obj = to_object(client, manifest)
    namespace = manifest.get("metadata", {}).get("namespace")
    with translated(), first_decode(type(obj)):
        return to_dict(untyped(client).create(obj, namespace=namespace, dry_run=dry_run))


def get(
    client: Client, api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any]:
    res = resource(client, api_version, kind)
    with translated(), first_decode(res):
        return to_dict(untyped(client).get(res, name, namespace=namespace))


def find(
    client: Client, api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any] | None:
    """Like `get`, but None when the object does not exist."""
    try:
        return get(client, api_version, kind, name, namespace)
    except NotFoundError:
        return None


def list_objects(
    client: Client,
    api_version: str,
    kind: str,
    namespace: str | None = None,
    labels: Mapping[str, str | None] | None = None,
    *,
    excluding: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """All objects of a kind (in one namespace, or cluster-wide / all namespaces when None).

    A label whose value is None selects objects that have the label, whatever its value;
    `excluding` leaves out objects whose label has that value (`key!=value`).
    """
    res = resource(client, api_version, kind)
    selector: dict[str, Any] = {**(labels or {}), **{k: not_equal(v) for k, v in (excluding or {}).items()}}
    with translated(), first_decode(res):
        # lightkube spells "all namespaces" as "*"; cluster-scoped kinds take no namespace.
        ns: Any = namespace if namespace is not None or not issubclass(res, NamespacedResource) else ALL_NS
        items = untyped(client).list(res, namespace=ns, labels=selector or None)
        return [to_dict(item) for item in items]


def iter_objects(
    client: Client,
    api_version: str,
    kind: str,
    *,
    labels: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    page_size: int = 500,
) -> Iterator[dict[str, Any]]:
    """Cluster-scoped objects one page at a time (`limit`/`continue`), so memory stays flat as lists grow."""
    res = resource(client, api_version, kind)
    with translated(), first_decode(res):
        pages = untyped(client).list(
            res,
            chunk_size=page_size,
            labels=dict(labels) if labels else None,
            fields=dict(fields) if fields else None,
        )
        for item in pages:
            yield to_dict(item)


def patch(
    client: Client,
    api_version: str,
    kind: str,
    name: str,
    change: Mapping[str, Any],
    *,
    namespace: str | None = None,
    strategic: bool = False,
) -> dict[str, Any]:
    """A JSON merge patch (RFC 7386): keys set to None are removed. `strategic` makes it a
    strategic-merge patch: lists such as a pod's volumes merge by their key instead of being replaced."""
    res = resource(client, api_version, kind)
    with translated(), first_decode(res):
        return to_dict(
            untyped(client).patch(
                res,
                name,
                dict(change),
                namespace=namespace,
                patch_type=PatchType.STRATEGIC if strategic else PatchType.MERGE,
            )
        )


def delete(
    client: Client,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
) -> None:
    """Delete one object; `dry_run` asks the server to run admission (RBAC, policies) and persist nothing."""
    with translated():
        untyped(client).delete(
            resource(client, api_version, kind), name, namespace=namespace, dry_run=dry_run
        )
