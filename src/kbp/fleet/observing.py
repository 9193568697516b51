"""Ask one cluster how it is (the edge): helm for the cluster services, the API for the rest.

Reuses `cluster-services status` (planning.status) and the deploy rollout judge, so the fleet says
exactly what those commands say on each cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kbp import kube
from kbp.fleet import view
from kbp.fleet.inventory import Cluster
from kbp.namespaces import catalog
from kbp.platform import planning, running
from kbp.release import configs, configuring, rollout
from kbp.users import flow, records


@dataclass(frozen=True)
class Tools:
    """helm and helmfile, found once; what each services file switches on, asked once."""

    helm: running.Target | None  # None when no cluster has services (helmfile is not needed then)
    enabled: Mapping[tuple[str, str], set[str]]  # (file, environment) -> enabled release keys
    services: Mapping[tuple[str, str], planning.Services]

    def target(self, cluster: Cluster, *, timeout_s: float = 900.0) -> running.Target:
        """helmfile and helm pointed at this cluster."""
        assert self.helm is not None, "tools() found helm and helmfile for every cluster with services"
        return running.Target(
            self.helm.helmfile, self.helm.helm, cluster.kubeconfig, cluster.context, timeout_s
        )


def tools(clusters: Sequence[Cluster]) -> Tools:
    """Reads every services file (PinError on a bad pin) and asks helmfile what each environment runs.

    `helmfile list` needs the file and environment, not a cluster, so three clusters on `dev` cost
    one call.
    """
    if all(c.services is None for c in clusters):
        return Tools(None, {}, {})
    base = running.target()
    files: dict[tuple[str, str], planning.Services] = {}
    enabled: dict[tuple[str, str], set[str]] = {}
    for c in clusters:
        if c.services is None:
            continue
        key = (str(c.services.file), c.services.environment)
        if key not in files:
            files[key] = planning.Services.read(c.services.file, c.services.environment)
            enabled[key] = planning.enabled_releases(files[key], base)
    return Tools(base, enabled, files)


def observe(cluster: Cluster, t: Tools, *, now: datetime, expiring_within: timedelta) -> dict[str, Any]:
    """The cluster's answer (view's shape); raises ToolError or KubeError when it cannot be reached."""
    releases: list[dict[str, Any]] = []
    with kube.connect(cluster.kubeconfig, context=cluster.context) as client:
        workloads = _workloads(client)
        if cluster.services is not None:
            target = t.target(cluster, timeout_s=60)
            key = (str(cluster.services.file), cluster.services.environment)
            for s in planning.status(t.services[key], target, enabled=t.enabled[key]):
                r = s.release
                health = view.rollout_health(workloads.get((r.namespace, r.name), []))
                releases.append(
                    {"release": r.key, "kind": "service", "pinned": r.version,
                     "deployed": s.deployed.version if s.deployed else None,
                     "state": s.state.value, "rollout": health, "reason": s.reason}
                )  # fmt: skip
        config_version = None
        if cluster.journal is not None:
            row, config_version = _journal(client, cluster, workloads)
            releases.append(row)
        users = [
            f"user {r.name} in {r.namespace}: certificate {row['expiresIn'] or 'expiry unknown'}"
            for r in flow.list_users(client)
            if (row := records.row(r, now=now, window=expiring_within))["expiring"]
        ]
        namespaces = [
            f"namespace {n['name']}: {n['left']} left"
            for n in catalog.rows(client, now)
            if n["secondsLeft"] is not None and n["secondsLeft"] <= expiring_within.total_seconds()
        ]
    return {
        "observedAt": now.isoformat(),
        "releases": releases,
        "configVersion": config_version,
        "expiringUsers": users,
        "expiringNamespaces": namespaces,
    }


def _workloads(client: kube.KubeClient) -> dict[tuple[str, str], list[rollout.Workload]]:
    """Every Deployment and StatefulSet, judged, by (namespace, Helm release): two list calls."""
    found: dict[tuple[str, str], list[rollout.Workload]] = {}
    for api_version, kind in rollout.WORKLOADS:
        for obj in kube.list_objects(client, api_version, kind, labels={configs.INSTANCE: None}):
            meta = obj["metadata"]
            key = (meta["namespace"], (meta.get("labels") or {})[configs.INSTANCE])
            found.setdefault(key, []).append(rollout.judge(obj))
    return found


def _journal(
    client: kube.KubeClient, cluster: Cluster, workloads: Mapping[tuple[str, str], list[rollout.Workload]]
) -> tuple[dict[str, Any], int | None]:
    j = cluster.journal
    assert j is not None
    mine = workloads.get((j.namespace, j.release), [])
    api = [
        w
        for w in mine
        if w.kind == "Deployment" and w.selector.get(configs.COMPONENT_LABEL) == configs.COMPONENT
    ]
    deployed = view.image_tag(api[0].images[0]) if api and api[0].images else None
    state, reason = view.journal_state(j.tag, deployed)
    live = configuring.find_live(configuring.Target(client, j.namespace, j.release)) if api else None
    row = {
        "release": f"{j.namespace}/{j.release}", "kind": "journal", "pinned": j.tag, "deployed": deployed,
        "state": state, "rollout": view.rollout_health(mine), "reason": reason,
    }  # fmt: skip
    return row, live.version.number if live else None
