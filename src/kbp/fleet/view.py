"""What `kbp fleet status` shows, decided from a cluster's answer and its freshness (pure).

An answer is plain JSON (it is cached as is): the releases with pin, deployed version, drift state
and rollout health, the journal's config version, and the users and namespaces near expiry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kbp.fleet.freshness import Freshness, Reach

if TYPE_CHECKING:  # rollout imports the Kubernetes client, which status's parent process never needs
    from kbp.release.rollout import Workload

HEALTHY = "healthy"
UNKNOWN = "unknown"
GOOD_STATES = ("in-sync", "disabled")
COLUMNS = [
    ("cluster", "cluster"),
    ("release", "release"),
    ("pinned", "pinned"),
    ("deployed", "deployed"),
    ("state", "state"),
    ("rollout", "rollout"),
    ("config", "configVersion"),
    ("expiring", "expiring"),
    ("answer", "answer"),
]


def rollout_health(workloads: Sequence[Workload]) -> str:
    """`healthy`, `failed: why`, `progressing 1/2 deployment/x`, or `-` when nothing runs."""
    if not workloads:
        return "-"
    failed = [w for w in workloads if w.failed]
    if failed:
        return f"failed: {failed[0].ref}: {failed[0].failed}"
    pending = [w for w in workloads if not w.done]
    if pending:
        return f"progressing: {pending[0].ref} {pending[0].ready}/{pending[0].desired}"
    return HEALTHY


def image_tag(image: str) -> str | None:
    """`v1.2.3-abcd` from `registry/journal-api:v1.2.3-abcd@sha256:…`."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[1] if ":" in name else None


def journal_state(pinned: str, deployed: str | None) -> tuple[str, str]:
    """(state, reason) for the journal, in `cluster-services status`'s words."""
    if deployed is None:
        return "missing", "not installed"
    if deployed != pinned:
        return "drifted", f"tag {deployed} deployed, {pinned} pinned"
    return "in-sync", ""


def is_healthy(answer: Mapping[str, Any] | None, freshness: Freshness) -> bool:
    """Live, every release as pinned, every rollout done; an unreachable cluster never is."""
    if freshness.reach is not Reach.live or answer is None:
        return False
    return all(
        r["state"] in GOOD_STATES and r["rollout"] in (HEALTHY, "-") for r in answer.get("releases", [])
    )


def item(name: str, answer: Mapping[str, Any] | None, freshness: Freshness) -> dict[str, Any]:
    """One cluster for `-o json`: its answer (live or cached) and how old that answer is."""
    return {
        "cluster": name,
        "reachable": freshness.reach is Reach.live,
        "answer": freshness.label,
        "observedAt": freshness.observed_at.isoformat() if freshness.observed_at else None,
        "ageSeconds": round(freshness.age_s, 1) if freshness.age_s is not None else None,
        "stale": freshness.reach is not Reach.live,
        "error": freshness.error,
        "healthy": is_healthy(answer, freshness),
        "releases": list((answer or {}).get("releases", [])),
        "configVersion": (answer or {}).get("configVersion"),
        "expiringUsers": list((answer or {}).get("expiringUsers", [])),
        "expiringNamespaces": list((answer or {}).get("expiringNamespaces", [])),
    }


def rows(cluster: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The table's rows for one cluster `item`: one per release; a cluster never seen gets one."""
    expiring = [*cluster["expiringUsers"], *cluster["expiringNamespaces"]]
    common = {
        "cluster": cluster["cluster"],
        "configVersion": cluster["configVersion"],
        "expiring": expiring or None,
        "answer": cluster["answer"],
    }
    if not cluster["releases"]:
        return [{**common, "release": "-", "state": UNKNOWN, "rollout": UNKNOWN}]
    out = []
    for release in cluster["releases"]:
        row = {**common, **release}
        if cluster["stale"]:
            # The last good answer's versions, but nothing about now: never healthy.
            row["rollout"] = UNKNOWN
            row["state"] = f"{release['state']}?"
        out.append(row)
    return out
