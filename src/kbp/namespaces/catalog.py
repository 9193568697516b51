"""Create, extend, list and describe kbp's namespaces: the API calls behind `kbp ns`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kbp import kube, metadata
from kbp.namespaces import isolation, ttl
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from kbp.namespaces.policy import Policy, decide, finalizers, is_managed, is_terminating, lifetime, warned_at
from kbp.namespaces.validation import MetadataError, check_dns_label, check_name, check_spec


class CatalogError(Exception):
    """The namespace is in a state kbp will not change (not kbp's, terminating, missing)."""


def create(client: kube.KubeClient, spec: NamespaceSpec) -> dict[str, Any]:
    """Server-side apply the namespace, Pod Security labels included, then its NetworkPolicies;
    running it again changes nothing. Never adopts a namespace kbp did not create."""
    check_spec(spec)
    existing = kube.find(client, "v1", "Namespace", spec.name)
    if existing is not None and not is_managed(existing):
        raise CatalogError(
            f'namespace "{spec.name}" exists and kbp does not manage it '
            f"(no {metadata.MANAGED_BY}={metadata.MANAGED_BY_KBP}); kbp will not adopt it"
        )
    if existing is not None and is_terminating(existing):
        raise CatalogError(f'namespace "{spec.name}" is being deleted; wait until it is gone')
    stored = kube.apply(client, namespace_manifest(spec, version=pod_security_version(client)))
    for policy in isolation.network_policies(spec.name, labels={}):
        kube.apply(client, policy)
    return stored


def pod_security_version(client: kube.KubeClient) -> str:
    """The cluster's minor version, which every kbp namespace pins its Pod Security levels to."""
    return isolation.minor_version(*kube.server_version(client))


def extend(
    client: kube.KubeClient, name: str, *, now: datetime, ttl_value: str | None, expires: str | None
) -> dict[str, Any]:
    """Move the deadline: `--ttl 7d` means seven days from now, written as `janitor/expires` (a TTL
    counts from creation, so rewriting it would not mean "from now"); `forever` clears the expiry.
    Clears the reaper's warning, so a later deadline earns a new one."""
    check_name(name)
    annotations: dict[str, str | None] = {metadata.REAP_WARNED_AT: None}
    try:
        if ttl_value is not None:
            duration = ttl.parse_ttl(ttl_value)
            if duration is None:
                annotations |= {metadata.TTL: ttl.FOREVER, metadata.EXPIRES: None}
            else:
                annotations |= {metadata.TTL: None, metadata.EXPIRES: ttl.format_instant(now + duration)}
        elif expires is not None:
            instant = ttl.parse_expires(expires)
            annotations |= {metadata.TTL: None, metadata.EXPIRES: ttl.format_instant(instant)}
    except ttl.LifetimeError as exc:
        field = "ttl" if ttl_value is not None else "expires"
        raise MetadataError(f'namespace "{name}": {field} {exc}') from exc
    current = _managed(client, name)
    if is_terminating(current):
        raise CatalogError(f'namespace "{name}" is being deleted; it cannot be extended')
    return kube.patch(client, "v1", "Namespace", name, {"metadata": {"annotations": annotations}})


def rows(client: kube.KubeClient, now: datetime) -> list[dict[str, Any]]:
    """kbp's namespaces with their time left, soonest first; no deadline (forever, none, invalid) last."""
    items = [
        row(ns, now)
        for ns in kube.iter_objects(client, "v1", "Namespace", labels=metadata.managed_selector())
    ]
    return sorted(items, key=lambda r: (r["secondsLeft"] is None, r["secondsLeft"] or 0, r["name"]))


def row(namespace: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    meta = namespace.get("metadata", {})
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    life = lifetime(namespace)
    if life.deadline is not None:
        seconds: int | None = int((life.deadline - now).total_seconds())
        left = ttl.format_duration(life.deadline - now) if seconds and seconds > 0 else "expired"
    else:
        seconds, left = None, "invalid" if life.problem else ("forever" if life.forever else "-")
    return {
        "name": meta.get("name"),
        "owner": labels.get(metadata.OWNER),
        "team": labels.get(metadata.TEAM),
        "purpose": annotations.get(metadata.PURPOSE),
        "ttl": annotations.get(metadata.TTL),
        "expires": annotations.get(metadata.EXPIRES),
        "deadline": ttl.format_instant(life.deadline) if life.deadline else None,
        "left": left,
        "secondsLeft": seconds,
        "phase": namespace.get("status", {}).get("phase"),
        "problem": life.problem,
    }


def describe(client: kube.KubeClient, name: str, *, now: datetime, policy: Policy) -> dict[str, Any]:
    """One namespace (kbp's or not) and what the reaper would do with it now."""
    check_dns_label(name)
    namespace = kube.find(client, "v1", "Namespace", name)
    if namespace is None:
        raise CatalogError(f'namespace "{name}" not found')
    verdict = decide(namespace, now, policy)
    warned = warned_at(namespace)
    return {
        **row(namespace, now),
        "managed": is_managed(namespace),
        "created": namespace.get("metadata", {}).get("creationTimestamp"),
        "warnedAt": ttl.format_instant(warned) if warned else None,
        "finalizers": list(finalizers(namespace)),
        "reaper": f"{verdict.action.value}: {verdict.message}",
    }


def _managed(client: kube.KubeClient, name: str) -> dict[str, Any]:
    namespace = kube.find(client, "v1", "Namespace", name)
    if namespace is None:
        raise CatalogError(f'namespace "{name}" not found')
    if not is_managed(namespace):
        raise CatalogError(
            f'namespace "{name}" is not managed by kbp (no {metadata.MANAGED_BY}={metadata.MANAGED_BY_KBP})'
        )
    return namespace
