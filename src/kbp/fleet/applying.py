"""`kbp fleet apply` on one cluster (the edge): `cluster-services apply`'s plan and sync, then
`kbp deploy`'s diff, upgrade and rollout wait, with this cluster's journal values on top.

A release that matches is not touched (no new Helm revision), so a second apply changes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.fleet import view
from kbp.fleet.inventory import Cluster, Journal
from kbp.fleet.tooling import Tools
from kbp.platform import planning
from kbp.platform.changes import Action, ReleasePlan
from kbp.release import configs, rollout, upgrading
from kbp.release import deploy as deploying


@dataclass(frozen=True)
class Change:
    """What apply did (or, dry, would do) on one cluster, and whether it is healthy afterwards."""

    cluster: str
    healthy: bool
    detail: str
    services: tuple[ReleasePlan, ...] = ()
    journal: deploying.Diff | None = None
    journal_new: bool = False  # the journal's namespace or release does not exist yet
    notes: tuple[str, ...] = field(default_factory=tuple)


def apply(cluster: Cluster, t: Tools, *, helm: str, chart: Path, dry_run: bool, timeout_s: float) -> Change:
    plans: list[ReleasePlan] = []
    problems: list[str] = []
    done: list[str] = []
    if cluster.services is not None:
        key = (str(cluster.services.file), cluster.services.environment)
        services, target = t.services[key], t.target(cluster)
        plans = planning.plan(services, target)
        todo = [p.release.key for p in plans if p.changes]
        if todo and not dry_run:
            planning.apply(services, target, plans)
            done.append(f"services {', '.join(todo)} synced")
        if not dry_run:
            problems += [
                f"{s.release.key} {s.state.value}: {s.reason}"
                for s in planning.status(services, target, enabled=t.enabled(key))
                if s.state.value not in view.GOOD_STATES
            ]
            problems += _rolled_out(cluster, plans, timeout_s=timeout_s)
    diff, new = None, False
    if cluster.journal is not None:
        diff, new, journal_done, journal_problems = _journal(
            cluster, cluster.journal, helm=helm, chart=chart, dry_run=dry_run, timeout_s=timeout_s
        )
        done += journal_done
        problems += journal_problems
    if dry_run:
        done = _would(plans, diff, new)
    detail = "; ".join(problems) if problems else "; ".join(done) or "no change"
    return Change(cluster.name, not problems, detail, tuple(plans), diff, new)


def _rolled_out(cluster: Cluster, plans: list[ReleasePlan], *, timeout_s: float) -> list[str]:
    """Wait for each service release's Deployments and StatefulSets as `kbp deploy` waits for the
    journal's, so a wave is healthy only when they run (Helm's state alone says nothing of pods)."""
    problems = []
    with kube.connect(cluster.kubeconfig, context=cluster.context) as api:
        for p in plans:
            labels = {configs.INSTANCE: p.release.name}
            if p.action is Action.skip or not rollout.observe(api, p.release.namespace, labels):
                continue  # switched off here, or no workloads to wait for
            outcome = rollout.wait(api, p.release.namespace, labels, timeout_s=timeout_s)
            problems += [f"{p.release.key} {ref} not ready: {why}" for ref, why in outcome.reasons.items()]
    return problems


def _would(plans: list[ReleasePlan], diff: deploying.Diff | None, new: bool) -> list[str]:
    """A dry run's summary: what apply would do."""
    todo = [p.release.key for p in plans if p.changes]
    out = [f"would sync services {', '.join(todo)}"] if todo else []
    if new:
        out.append("would install the journal")
    elif diff is not None and not upgrading.is_empty(diff):
        out.append(
            f"would upgrade the journal ({len(diff.added) + len(diff.removed) + len(diff.changed)} objects)"
        )
    return out


def _journal(
    cluster: Cluster, j: Journal, *, helm: str, chart: Path, dry_run: bool, timeout_s: float
) -> tuple[deploying.Diff | None, bool, list[str], list[str]]:
    with kube.connect(cluster.kubeconfig, context=cluster.context, namespace=j.namespace) as api:
        if kube.find(api, "v1", "Namespace", j.namespace) is None:
            if dry_run:
                return None, True, [], []
            kube.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": j.namespace}})
        with _values(j.values) as extra:
            request = upgrading.Request(
                chart=chart, env=j.env, tag=j.tag, namespace=j.namespace, release=j.release,
                extra_values=extra, kubeconfig=cluster.kubeconfig, context=cluster.context,
            )  # fmt: skip
            plan = upgrading.prepare(api, request)
            change = upgrading.changes(helm, plan, api)
            if dry_run:
                return change, False, [], []
            done = []
            if upgrading.is_empty(change):
                outcome = upgrading.wait(api, plan, timeout_s=timeout_s)
            else:
                _, outcome = upgrading.upgrade(helm, plan, api, timeout_s=timeout_s)
                done.append(f"journal {j.tag} deployed")
    problems = [f"{ref} not ready: {why}" for ref, why in outcome.reasons.items()]
    if not outcome.ok and not problems:
        problems.append(f"release {j.release} in {j.namespace} has no workloads")
    return change, False, done, problems


@contextmanager
def _values(values: Mapping[str, Any]) -> Iterator[tuple[Path, ...]]:
    """The cluster's journal values as a file for helm, readable by its owner only, then removed."""
    if not values:
        yield ()
        return
    with tempfile.TemporaryDirectory(prefix="kbp-fleet-") as scratch:
        path = Path(scratch) / "cluster-values.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(values), out)
        yield (path,)
