"""Deployed releases against their pins: what `helm list` would report, compared with the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kbp.platform.releases import Release


class State(StrEnum):
    in_sync = "in-sync"
    drifted = "drifted"  # another chart or version than the pin, or deployed where switched off
    missing = "missing"  # pinned and switched on, not deployed
    failed = "failed"  # Helm's last operation on it did not finish (failed, pending-*)
    disabled = "disabled"  # switched off in this environment and not deployed


@dataclass(frozen=True)
class Deployed:
    """One release as `helm list` reports it (kbp.platform.helmstore reads it from the cluster)."""

    name: str
    namespace: str
    chart_name: str
    version: str
    revision: int
    status: str  # deployed, failed, pending-upgrade, …
    updated: str
    manifest: str = field(default="", repr=False, compare=False)  # what `helm get manifest` prints

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ReleaseStatus:
    release: Release
    deployed: Deployed | None
    state: State
    reason: str

    def as_item(self) -> dict[str, Any]:
        d = self.deployed
        return {
            "name": self.release.name,
            "namespace": self.release.namespace,
            "chart": self.release.chart,
            "pinned": self.release.version,
            "deployed": d.version if d else None,
            "revision": d.revision if d else None,
            "helmStatus": d.status if d else None,
            "state": self.state.value,
            "reason": self.reason,
        }


def same_version(a: str, b: str) -> bool:
    """Chart versions equal up to the optional leading `v`."""
    return a.removeprefix("v") == b.removeprefix("v")


def compare(release: Release, deployed: Deployed | None, *, enabled: bool = True) -> ReleaseStatus:
    """The verdict for one release: in sync with its pin, or why not."""
    if not enabled:
        if deployed is None:
            return ReleaseStatus(release, None, State.disabled, "switched off in this environment")
        return ReleaseStatus(release, deployed, State.drifted, "deployed, but switched off here")
    if deployed is None:
        return ReleaseStatus(release, None, State.missing, "not installed")
    if deployed.status != "deployed":
        return ReleaseStatus(release, deployed, State.failed, f"helm status {deployed.status}")
    reason = _moved(release, deployed)
    return ReleaseStatus(release, deployed, State.drifted if reason else State.in_sync, reason)


def _moved(release: Release, deployed: Deployed) -> str:
    """How the deployed chart differs from the pin, or "" when it does not."""
    if deployed.chart_name != release.chart_name:
        return f"chart {deployed.chart_name} deployed, {release.chart_name} pinned"
    if not same_version(deployed.version, release.version):
        return f"version {deployed.version} deployed, {release.version} pinned"
    return ""
