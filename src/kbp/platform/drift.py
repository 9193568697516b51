"""Deployed releases against their pins: what `helm list` reports, compared with the file."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kbp.platform.errors import ToolError
from kbp.platform.releases import Release

# `helm list` prints "<chart>-<version>"; chart names may hold dashes, versions may too (1.0.0-rc.1).
_CHART = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$")


class State(StrEnum):
    in_sync = "in-sync"
    drifted = "drifted"  # another chart or version than the pin, or deployed where switched off
    missing = "missing"  # pinned and switched on, not deployed
    failed = "failed"  # Helm's last operation on it did not finish (failed, pending-*)
    disabled = "disabled"  # switched off in this environment and not deployed


@dataclass(frozen=True)
class Deployed:
    """One release as `helm list -o json` reports it."""

    name: str
    namespace: str
    chart_name: str
    version: str
    revision: int
    status: str  # deployed, failed, pending-upgrade, …
    updated: str

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


def split_chart(chart: str) -> tuple[str, str]:
    """("gateway-helm", "v1.8.2") from "gateway-helm-v1.8.2"."""
    match = _CHART.match(chart)
    if not match:
        return chart, ""
    return match["name"], match["version"]


def parse_helm_list(text: str) -> dict[str, Deployed]:
    """`helm list -A -o json` output, by namespace/name."""
    try:
        items = json.loads(text or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"helm list printed no JSON: {text[:200]!r}") from exc
    if not isinstance(items, list):
        raise ToolError("helm list -o json printed no list")
    deployed = [_deployed(item) for item in items if isinstance(item, Mapping)]
    return {d.key: d for d in deployed}


def _deployed(item: Mapping[str, Any]) -> Deployed:
    chart_name, version = split_chart(str(item.get("chart", "")))
    return Deployed(
        name=str(item.get("name", "")),
        namespace=str(item.get("namespace", "")),
        chart_name=chart_name,
        version=version,
        revision=int(item.get("revision") or 0),
        status=str(item.get("status", "")),
        updated=str(item.get("updated", "")),
    )


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
