"""What applying the file would change: rendered manifests against the deployed ones, per object.

helm-diff, which `helmfile diff`/`apply` need, cannot be built here (its module is not on the
proxy), so the comparison is ours: `helmfile template` (hooks and tests left out, as `helm get
manifest` leaves them out) against `helm get manifest`, object by object, plus the chart version.
Secret values never appear: only whether each key changed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

from kbp import manifests
from kbp.platform.drift import Deployed, same_version
from kbp.platform.releases import Release


class Action(StrEnum):
    install = "install"
    upgrade = "upgrade"
    unchanged = "unchanged"
    skip = "skip"  # switched off in this environment


@dataclass(frozen=True)
class ObjectChange:
    key: str  # Kind/name, or Kind/name (namespace) when the chart sets one
    change: str  # added, removed, changed
    diff: str  # unified diff of the YAML, Secret values redacted


@dataclass(frozen=True)
class ReleasePlan:
    release: Release
    action: Action
    deployed_version: str | None
    objects: tuple[ObjectChange, ...] = field(default=())

    @property
    def changes(self) -> bool:
        return self.action in (Action.install, Action.upgrade)

    def as_item(self) -> dict[str, Any]:
        return {
            "name": self.release.name,
            "namespace": self.release.namespace,
            "chart": self.release.chart,
            "action": self.action.value,
            "from": self.deployed_version,
            "to": self.release.version,
            "objects": [{"key": o.key, "change": o.change, "diff": o.diff} for o in self.objects],
        }


def split_manifest(text: str) -> dict[str, dict[str, Any]]:
    """A multi-document manifest by object key; empty documents dropped."""
    objects: dict[str, dict[str, Any]] = {}
    for doc in manifests.load_all(text or ""):
        if isinstance(doc, dict) and doc.get("kind"):
            meta = doc.get("metadata") or {}
            namespace = f" ({meta['namespace']})" if meta.get("namespace") else ""
            objects[f"{doc['kind']}/{meta.get('name', '')}{namespace}"] = doc
    return objects


def diff_objects(
    old: Mapping[str, dict[str, Any]], new: Mapping[str, dict[str, Any]]
) -> tuple[ObjectChange, ...]:
    """Every object added, removed or changed between two manifests, in key order."""
    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        before_r, after_r = _redacted(before, None), _redacted(after, before)
        lines = difflib.unified_diff(
            _dump(before_r).splitlines(),
            _dump(after_r).splitlines(),
            f"{key} deployed",
            f"{key} desired",
            lineterm="",
        )
        change = "added" if before is None else "removed" if after is None else "changed"
        changes.append(ObjectChange(key=key, change=change, diff="\n".join(lines)))
    return tuple(changes)


def plan_release(
    release: Release,
    *,
    enabled: bool,
    deployed: Deployed | None,
    deployed_manifest: str,
    desired_manifest: str,
) -> ReleasePlan:
    """install, upgrade (another version or any object differs) or unchanged; skip when switched off."""
    if not enabled:
        return ReleasePlan(release, Action.skip, deployed.version if deployed else None)
    objects = diff_objects(split_manifest(deployed_manifest), split_manifest(desired_manifest))
    if deployed is None:
        return ReleasePlan(release, Action.install, None, objects)
    moved = not same_version(deployed.version, release.version) or deployed.chart_name != release.chart_name
    if moved or objects or deployed.status != "deployed":
        return ReleasePlan(release, Action.upgrade, deployed.version, objects)
    return ReleasePlan(release, Action.unchanged, deployed.version)


def _dump(obj: Any) -> str:
    return "" if obj is None else yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)


def _redacted(obj: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Secret with each value replaced by a marker; on the new side (`before` given) the marker
    says whether the value differs from `before`'s, and nothing more."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    for section in ("data", "stringData"):
        values = obj.get(section)
        if isinstance(values, Mapping):
            old = (before or {}).get(section) or {}
            changed = before is not None
            out[section] = {
                k: "(redacted, changed)" if changed and old.get(k) != v else "(redacted)"
                for k, v in values.items()
            }
    return out
