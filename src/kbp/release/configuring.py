"""The ordered API calls behind `kbp config`: read the live version, write the next one, re-point the
API Deployment, wait for its rollout, prune. Decisions come from `configs`; this module only acts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kbp import kube
from kbp.release import configs, rollout
from kbp.release.configs import ConfigError, Version
from kbp.release.schemas import Value


@dataclass(frozen=True)
class Target:
    client: kube.KubeClient
    namespace: str
    release: str


@dataclass(frozen=True)
class Live:
    deployment: dict[str, Any]
    version: Version
    configmap: dict[str, Any]

    @property
    def data(self) -> dict[str, str]:
        return dict(self.configmap.get("data") or {})


@dataclass(frozen=True)
class Change:
    before: Version
    after: Version
    changed: bool
    outcome: rollout.Outcome | None = None
    pruned: tuple[str, ...] = ()


def api_deployment(target: Target) -> dict[str, Any]:
    """The release's API Deployment; ConfigError naming release and namespace if there is not one."""
    found = kube.list_objects(
        target.client, "apps/v1", "Deployment", target.namespace, configs.api_selector(target.release)
    )
    if len(found) != 1:
        raise ConfigError(
            f'release "{target.release}" in namespace "{target.namespace}": expected one API Deployment '
            f"({len(found)} found); deploy it first with `kbp deploy`"
        )
    return found[0]


def find_live(target: Target) -> Live | None:
    """The live configuration, or None before the first deploy (no API Deployment yet)."""
    found = kube.list_objects(
        target.client, "apps/v1", "Deployment", target.namespace, configs.api_selector(target.release)
    )
    return live(target) if found else None


def live(target: Target) -> Live:
    deployment = api_deployment(target)
    version = configs.live_version(deployment)
    configmap = kube.find(target.client, "v1", "ConfigMap", version.name, target.namespace)
    if configmap is None:
        raise ConfigError(f'configmap "{version.name}" (live for the API Deployment) does not exist')
    return Live(deployment, version, configmap)


def all_versions(target: Target, base: str) -> list[tuple[Version, dict[str, Any]]]:
    """Every version of `base` in the namespace, oldest first, with its ConfigMap."""
    objects = kube.list_objects(
        target.client, "v1", "ConfigMap", target.namespace, {configs.INSTANCE: target.release}
    )
    by_name = {cm["metadata"]["name"]: cm for cm in objects}
    return [(v, by_name[v.name]) for v in configs.versions(objects, base)]


def wait_api(
    target: Target, timeout_s: float, on_progress: Callable[[Sequence[rollout.Workload]], None]
) -> rollout.Outcome:
    return rollout.wait(
        target.client,
        target.namespace,
        configs.api_selector(target.release),
        timeout_s=timeout_s,
        on_progress=on_progress,
    )


def set_settings(
    target: Target,
    changes: Mapping[str, Value],
    *,
    retention: int,
    timeout_s: float,
    on_progress: Callable[[Sequence[rollout.Workload]], None] = lambda _: None,
) -> Change:
    """Create the next version with `changes` applied, point the Deployment at it, wait, prune."""
    now = live(target)
    data = {**now.data, **{k: configs.as_text(v) for k, v in changes.items()}}
    if data == now.data:
        return Change(now.version, now.version, changed=False)
    existing = [v for v, _ in all_versions(target, now.version.base)]
    new = configs.next_version(existing, now.version)
    kube.create(target.client, configs.next_configmap(now.configmap, new, data))
    outcome = _point(target, now.deployment, new, timeout_s, on_progress)
    pruned = prune(target, new, retention) if outcome.ok else ()
    return Change(now.version, new, True, outcome, pruned)


def rollback(
    target: Target,
    to: int | None,
    *,
    timeout_s: float,
    on_progress: Callable[[Sequence[rollout.Workload]], None] = lambda _: None,
) -> Change:
    """Point back at version `to`, or at the newest one older than the live one; create nothing."""
    now = live(target)
    existing = [v for v, _ in all_versions(target, now.version.base)]
    if to is None:
        older = [v for v in existing if v.number < now.version.number]
        if not older:
            raise ConfigError(
                f'configmap "{now.version.name}" is the oldest version left; nothing to roll back to'
            )
        wanted = older[-1]
    else:
        wanted = Version(to, now.version.base)
        if wanted not in existing:
            kept = ", ".join(f"v{v.number}" for v in existing)
            raise ConfigError(f'configmap "{wanted.name}" does not exist (versions left: {kept})')
    if wanted == now.version:
        return Change(now.version, wanted, changed=False)
    outcome = _point(target, now.deployment, wanted, timeout_s, on_progress)
    return Change(now.version, wanted, True, outcome)


def _point(
    target: Target,
    deployment: Mapping[str, Any],
    version: Version,
    timeout_s: float,
    on_progress: Callable[[Sequence[rollout.Workload]], None],
) -> rollout.Outcome:
    kube.patch(
        target.client,
        "apps/v1",
        "Deployment",
        deployment["metadata"]["name"],
        configs.point_at(version),
        namespace=target.namespace,
        strategic=True,
    )
    return wait_api(target, timeout_s, on_progress)


def prune(target: Target, live_version: Version, retention: int) -> tuple[str, ...]:
    """Delete versions beyond `retention`, sparing any a ReplicaSet of the Deployment still needs."""
    deployment = api_deployment(target)
    uid = deployment["metadata"]["uid"]
    replicasets = [
        configs.replicaset_ref(rs)
        for rs in kube.list_objects(target.client, "apps/v1", "ReplicaSet", target.namespace)
        if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or [])
    ]
    limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
    kept = configs.kept_by_replicasets(replicasets, limit)
    existing = [v for v, _ in all_versions(target, live_version.base)]
    doomed = configs.prunable(existing, live_version, kept, retention)
    for version in doomed:
        try:
            kube.delete(target.client, "v1", "ConfigMap", version.name, target.namespace)
        except kube.NotFoundError:
            continue  # someone else pruned it: the outcome we wanted
    return tuple(v.name for v in doomed)


def history(target: Target) -> list[dict[str, Any]]:
    """One row per version: name, whether live, which ReplicaSet revisions mount it, its settings."""
    now = live(target)
    uid = now.deployment["metadata"]["uid"]
    revisions: dict[str, list[int]] = {}
    for rs in kube.list_objects(target.client, "apps/v1", "ReplicaSet", target.namespace):
        if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or []):
            ref = configs.replicaset_ref(rs)
            if ref.configmap:
                revisions.setdefault(ref.configmap, []).append(ref.revision)
    return [
        {
            "version": v.number,
            "name": v.name,
            "live": v == now.version,
            "created": cm["metadata"].get("creationTimestamp"),
            "revisions": sorted(revisions.get(v.name, [])),
            "settings": dict(cm.get("data") or {}),
        }
        for v, cm in all_versions(target, now.version.base)
    ]
