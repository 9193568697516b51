"""Versioned configuration, decided from plain objects (pure): which ConfigMap is live, what the next
version looks like, how the Deployment points at it, and which old versions may go.

Where the version lives: in the cluster, as the ConfigMap the API Deployment's `config` volume names
(`<fullname>-config-v<N>`). `kbp config set` and `rollback` change that reference; `kbp deploy` reads
it first and hands version and settings to helm, so an upgrade renders the very ConfigMap that is live
and the chart never undoes a `config set`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kbp import metadata

VOLUME = "config"  # the API pod's volume that mounts the settings at /etc/journal
COMPONENT = "frontend"  # the API's app.kubernetes.io/component
INSTANCE = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
HELM_RELEASE_NAME = "meta.helm.sh/release-name"
HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
HELM_RESOURCE_POLICY = "helm.sh/resource-policy"
REVISION = "deployment.kubernetes.io/revision"
DEFAULT_RETENTION = 5
_VERSIONED = re.compile(r"^(?P<base>[a-z0-9]([-a-z0-9]*[a-z0-9])?)-v(?P<number>[1-9][0-9]*)$")


class ConfigError(ValueError):
    """The cluster's objects are not in the shape kbp manages; the message names the object."""


@dataclass(frozen=True, order=True)
class Version:
    number: int
    base: str  # `<fullname>-config`

    @property
    def name(self) -> str:
        return f"{self.base}-v{self.number}"


@dataclass(frozen=True)
class ReplicaSetRef:
    """What pruning needs of one ReplicaSet of the Deployment."""

    revision: int
    configmap: str | None
    replicas: int


def parse(name: str) -> Version | None:
    match = _VERSIONED.match(name)
    return Version(int(match["number"]), match["base"]) if match else None


def api_selector(release: str) -> dict[str, str]:
    return {INSTANCE: release, COMPONENT_LABEL: COMPONENT}


def pod_configmap(template_spec: Mapping[str, Any]) -> str | None:
    """The ConfigMap a pod spec mounts through the `config` volume."""
    for volume in template_spec.get("volumes") or []:
        if volume.get("name") == VOLUME:
            name = (volume.get("configMap") or {}).get("name")
            return str(name) if name else None
    return None


def live_version(deployment: Mapping[str, Any]) -> Version:
    """The version the Deployment's pods mount; ConfigError when it mounts none kbp can version."""
    name = deployment["metadata"]["name"]
    cm = pod_configmap(deployment["spec"]["template"]["spec"])
    if cm is None:
        raise ConfigError(f'deployment "{name}": no volume "{VOLUME}" mounting a ConfigMap')
    version = parse(cm)
    if version is None:
        raise ConfigError(f'deployment "{name}": ConfigMap "{cm}" is not versioned (expected <name>-v<N>)')
    return version


def versions(configmaps: Iterable[Mapping[str, Any]], base: str) -> list[Version]:
    """The versions of `base` among `configmaps`, oldest first."""
    found = (parse(cm["metadata"]["name"]) for cm in configmaps)
    return sorted(v for v in found if v is not None and v.base == base)


def next_version(existing: Iterable[Version], live: Version) -> Version:
    """One past the highest version, so a set after a rollback never reuses a name."""
    return Version(max([v.number for v in existing] + [live.number]) + 1, live.base)


def as_text(value: int | float | str) -> str:
    """A setting as the ConfigMap stores it: what the chart's `toString` renders for the same value."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def next_configmap(current: Mapping[str, Any], version: Version, data: Mapping[str, str]) -> dict[str, Any]:
    """The next immutable ConfigMap, carrying the current one's labels and Helm's ownership metadata,
    so a later `helm upgrade` that renders it adopts it instead of failing, and never deletes it."""
    meta = current["metadata"]
    labels = {**(meta.get("labels") or {}), metadata.CONFIG_VERSION: str(version.number)}
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k in (HELM_RELEASE_NAME, HELM_RELEASE_NAMESPACE)
    }
    annotations[HELM_RESOURCE_POLICY] = "keep"
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": version.name,
            "namespace": meta["namespace"],
            "labels": labels,
            "annotations": annotations,
        },
        "immutable": True,
        "data": dict(data),
    }


def point_at(version: Version) -> dict[str, Any]:
    """A strategic-merge patch that makes the Deployment's pods mount `version` (rolling them)."""
    return {
        "metadata": {"annotations": {metadata.CONFIG_VERSION: str(version.number)}},
        "spec": {"template": {"spec": {"volumes": [{"name": VOLUME, "configMap": {"name": version.name}}]}}},
    }


def replicaset_ref(rs: Mapping[str, Any]) -> ReplicaSetRef:
    annotations = rs["metadata"].get("annotations") or {}
    return ReplicaSetRef(
        revision=int(annotations.get(REVISION, "0") or 0),
        configmap=pod_configmap(rs["spec"]["template"]["spec"]),
        replicas=max(
            int(rs["spec"].get("replicas") or 0), int((rs.get("status") or {}).get("replicas") or 0)
        ),
    )


def kept_by_replicasets(refs: Sequence[ReplicaSetRef], revision_history_limit: int) -> set[str]:
    """ConfigMaps the Deployment's ReplicaSets still need: those with pods, and the newest
    `revision_history_limit` + 1 revisions, which the Deployment controller keeps for rollout undo."""
    newest = sorted(refs, key=lambda r: r.revision, reverse=True)[: revision_history_limit + 1]
    return {r.configmap for r in [*newest, *(r for r in refs if r.replicas > 0)] if r.configmap}


def prunable(
    existing: Sequence[Version], live: Version, kept_by_rs: set[str], retention: int
) -> list[Version]:
    """Versions beyond the newest `retention`, except the live one and any a ReplicaSet needs."""
    keep = {v.name for v in sorted(existing)[-retention:]} | {live.name} | kept_by_rs
    return [v for v in sorted(existing) if v.name not in keep]
