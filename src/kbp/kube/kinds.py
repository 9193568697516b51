"""From plain dicts to lightkube's resource classes and back: a kind's class (built in, or learnt
from the cluster's CRDs), a manifest as an object, an object as a dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightkube import Client, codecs
from lightkube.core.exceptions import LoadResourceError
from lightkube.core.resource import Resource
from lightkube.generic_resource import load_in_cluster_generic_resources

from kbp.kube.errors import KubeError, translated


def resource(client: Client, api_version: str, kind: str) -> type[Resource]:
    """The resource class for a kind; a CustomResourceDefinition's kind is learnt from the cluster."""
    try:
        return _registered(api_version, kind)
    except LoadResourceError:
        with translated():
            load_in_cluster_generic_resources(client)
    try:
        return _registered(api_version, kind)
    except LoadResourceError as exc:
        raise KubeError(f"unknown kind {api_version}/{kind}: not built in, and no CRD defines it") from exc


def _registered(api_version: str, kind: str) -> type[Resource]:
    res: type[Resource] | None = codecs.resource_registry.load(api_version, kind)
    if res is None:
        raise LoadResourceError(f"{api_version}/{kind}")
    return res


def to_object(client: Client, manifest: Mapping[str, Any]) -> Any:
    resource(client, str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")))
    return codecs.from_dict(dict(manifest))


def to_dict(obj: Any) -> dict[str, Any]:
    result: dict[str, Any] = obj.to_dict()
    return result


def untyped(client: Client) -> Any:
    """The client without its overloads: they key on the static resource class, and ours is chosen
    at runtime from a dict."""
    return client
