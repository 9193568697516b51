"""Ask one cluster how it is (the edge), all through its API.

Reuses `cluster-services status` (planning.status over helmstore's read of Helm's releases) and
the deploy rollout judge, so the fleet says exactly what those commands say on each cluster. Five
list calls a cluster: Helm's release Secrets, Deployments and StatefulSets (rollout health, the
journal's tag and config version), kbp's RoleBindings (users) and namespaces; nothing the table
does not show is read.
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
from kbp.platform import helmstore, planning
from kbp.release import configs, rollout
from kbp.users import records


def observe(cluster: Cluster, t: Tools, *, now: datetime, expiring_within: timedelta) -> dict[str, Any]:
    """The cluster's answer (view's shape); raises ToolError or KubeError when it cannot be reached."""
    services: list[dict[str, Any]] = []
    with kube.connect(cluster.kubeconfig, context=cluster.context) as client:
        # helmstore's read of Helm's Secrets: what `cluster-services status` reads, one list call.
        deployed = helmstore.deployed_releases(client, kind=t.storage) if cluster.services else None
        workloads, apis = _workloads(client)
        journal, config_version = _journal(cluster, workloads, apis) if cluster.journal else (None, None)
        users = [
            f"user {r.name} in {r.namespace}: certificate {row['expiresIn'] or 'expiry unknown'}"
            for r in records.list_users(client)
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


Release = tuple[str, str]  # (namespace, Helm release)


def _workloads(
    client: kube.KubeClient,
) -> tuple[dict[Release, list[rollout.Workload]], dict[Release, Mapping[str, Any]]]:
    """Every Deployment and StatefulSet, judged, by release (two list calls); and each release's
    journal API Deployment as listed, for its image and config version."""
    found: dict[Release, list[rollout.Workload]] = {}
    apis: dict[Release, Mapping[str, Any]] = {}
    for api_version, kind in rollout.WORKLOADS:
        for obj in kube.list_objects(client, api_version, kind, labels={configs.INSTANCE: None}):
            meta = obj["metadata"]
            labels = meta.get("labels") or {}
            key = (meta["namespace"], labels[configs.INSTANCE])
            found.setdefault(key, []).append(rollout.judge(obj))
            if kind == "Deployment" and labels.get(configs.COMPONENT_LABEL) == configs.COMPONENT:
                apis.setdefault(key, obj)
    return found, apis


def _journal(
    cluster: Cluster,
    workloads: Mapping[Release, list[rollout.Workload]],
    apis: Mapping[Release, Mapping[str, Any]],
) -> tuple[dict[str, Any], int | None]:
    j = cluster.journal
    assert j is not None
    api = apis.get((j.namespace, j.release))
    containers = api["spec"]["template"]["spec"].get("containers") or [] if api else []
    deployed = view.image_tag(str(containers[0].get("image", ""))) if containers else None
    state, reason = view.journal_state(j.tag, deployed)
    row = {
        "release": f"{j.namespace}/{j.release}", "kind": "journal", "pinned": j.tag, "deployed": deployed,
        "state": state, "rollout": view.rollout_health(workloads.get((j.namespace, j.release), [])),
        "reason": reason,
    }  # fmt: skip
    return row, _config_version(api)


def _config_version(api: Mapping[str, Any] | None) -> int | None:
    """The settings version the API's pods mount (what `kbp config` calls live); None if none."""
    if api is None:
        return None
    try:
        return configs.live_version(api).number
    except configs.ConfigError:
        return None
