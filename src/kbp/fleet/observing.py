"""Ask one cluster how it is (the edge): helm for the cluster services, the API for the rest.

Reuses `cluster-services status` (planning.status) and the deploy rollout judge, so the fleet says
exactly what those commands say on each cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from kbp import kube
from kbp.fleet import view
from kbp.fleet.inventory import Cluster
from kbp.fleet.tooling import Tools
from kbp.namespaces import catalog
from kbp.platform import planning
from kbp.release import configs, configuring, rollout
from kbp.users import flow, records


def observe(cluster: Cluster, t: Tools, *, now: datetime, expiring_within: timedelta) -> dict[str, Any]:
    """The cluster's answer (view's shape); raises ToolError or KubeError when it cannot be reached."""
    services: list[dict[str, Any]] = []
    with kube.connect(cluster.kubeconfig, context=cluster.context) as client:
        workloads = _workloads(client)
        journal, config_version = _journal(client, cluster, workloads) if cluster.journal else (None, None)
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
    if cluster.services is not None:
        target = t.target(cluster, timeout_s=60)
        key = (str(cluster.services.file), cluster.services.environment)
        # Last: helmfile list, started with the command, has had the longest to finish.
        deployed = t.deployed(cluster)  # started with the command, like helmfile list
        for s in planning.status(t.services[key], target, enabled=t.enabled(key), deployed=deployed):
            r = s.release
            health = view.rollout_health(workloads.get((r.namespace, r.name), []))
            services.append(
                {"release": r.key, "kind": "service", "pinned": r.version,
                 "deployed": s.deployed.version if s.deployed else None,
                 "state": s.state.value, "rollout": health, "reason": s.reason}
            )  # fmt: skip
    releases = services + ([journal] if journal else [])
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
