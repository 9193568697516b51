"""The Namespace object kbp creates, for `kbp ns create`, `kbp user add` and `kbp dev up` alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kbp import metadata
from kbp.namespaces.isolation import Level, pod_security_labels


@dataclass(frozen=True)
class NamespaceSpec:
    name: str
    owner: str
    team: str
    purpose: str
    ttl: str | None = None  # kube-janitor's grammar ("7d", "forever"); None sets no TTL
    expires: str | None = None  # RFC 3339 or a date
    pod_security: Level = Level.restricted  # baseline only where deploy/tenancy exempts the name


def namespace_manifest(spec: NamespaceSpec, *, version: str) -> dict[str, Any]:
    """The Namespace to server-side apply: kbp's label (the reaper's scope), owner and team as
    labels (queried), Pod Security at `spec.pod_security` pinned to `version` (the cluster's
    v1.<minor>), purpose and TTL as annotations (described)."""
    annotations = {metadata.PURPOSE: spec.purpose}
    if spec.ttl is not None:
        annotations[metadata.TTL] = spec.ttl
    if spec.expires is not None:
        annotations[metadata.EXPIRES] = spec.expires
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": spec.name,
            "labels": {
                **metadata.managed_selector(),
                metadata.OWNER: spec.owner,
                metadata.TEAM: spec.team,
                **pod_security_labels(spec.pod_security, version),
            },
            "annotations": annotations,
        },
    }
