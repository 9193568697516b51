"""One reap pass: list kbp's namespaces page by page, decide each (policy.decide), then act.

Acting is separate from deciding and guarded twice: deletions happen only after the whole list was
seen (so the cap can be applied to the most overdue first), and each one is decided again on a fresh
read just before the DELETE, so an extension made meanwhile wins. Dry run (the default) writes nothing.
Every decision is one JSON line on `log`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from kbp import kube, metadata
from kbp.namespaces import ttl
from kbp.namespaces.metrics import ReaperMetrics
from kbp.namespaces.policy import Action, Policy, Verdict, decide

COMPONENT = "kbp-reaper"
QUIET_REASONS = frozenset({"not-due", "forever", "no-ttl"})  # counted and logged, not listed in results


@dataclass(frozen=True)
class Options:
    apply: bool = False
    max_deletions: int = 10
    page_size: int = 500


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    result: str  # deleted, would-delete, warned, would-warn, capped, changed, failed, skipped, left

    def as_item(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "name": v.name,
            "action": v.action.value,
            "result": self.result,
            "reason": v.reason,
            "deadline": ttl.format_instant(v.deadline) if v.deadline else None,
            "message": v.message,
            "finalizers": list(v.finalizers),
        }


@dataclass(frozen=True)
class Report:
    seen: int
    due: int  # namespaces that were due for deletion, capped or not
    capped: int
    errors: int
    outcomes: tuple[Outcome, ...]  # everything except QUIET_REASONS


def reap(
    client: kube.KubeClient,
    *,
    policy: Policy,
    options: Options,
    now: Callable[[], datetime],
    metrics: ReaperMetrics,
    log: TextIO,
) -> Report:
    """One pass. Raises KubeError only if listing fails; a failed patch or delete is counted and reported."""
    metrics.passes.inc()
    seen, errors = 0, 0
    outcomes: list[Outcome] = []
    due: list[Verdict] = []
    for namespace in kube.iter_objects(
        client, "v1", "Namespace", labels=metadata.managed_selector(), page_size=options.page_size
    ):
        seen += 1
        metrics.seen.inc()
        verdict = decide(namespace, now(), policy)
        if verdict.action is Action.DELETE:
            due.append(verdict)
            continue
        if verdict.action is Action.WARN:
            outcome = _warn(client, verdict, now(), options, metrics)
        else:
            outcome = _left(verdict, metrics)
        errors += outcome.result == "failed"
        _log(log, outcome, options)
        if verdict.reason not in QUIET_REASONS:
            outcomes.append(outcome)
    due.sort(key=lambda v: (v.deadline, v.name))  # most overdue first
    for index, verdict in enumerate(due):
        if index < options.max_deletions:
            outcome = _delete(client, verdict, now=now, policy=policy, options=options, metrics=metrics)
        else:
            metrics.skipped.labels("capped").inc()
            outcome = Outcome(verdict, "capped")
        errors += outcome.result == "failed"
        _log(log, outcome, options)
        outcomes.append(outcome)
    capped = max(0, len(due) - options.max_deletions)
    return Report(seen=seen, due=len(due), capped=capped, errors=errors, outcomes=tuple(outcomes))


def _left(verdict: Verdict, metrics: ReaperMetrics) -> Outcome:
    metrics.skipped.labels(verdict.reason).inc()
    return Outcome(verdict, "skipped" if verdict.action is Action.SKIP else "left")


def _warn(
    client: kube.KubeClient, verdict: Verdict, now: datetime, options: Options, metrics: ReaperMetrics
) -> Outcome:
    if not options.apply:
        metrics.skipped.labels("dry-run").inc()
        return Outcome(verdict, "would-warn")
    stamp = ttl.format_instant(now)
    try:
        kube.patch(
            client,
            "v1",
            "Namespace",
            verdict.name,
            {"metadata": {"annotations": {metadata.REAP_WARNED_AT: stamp}}},
        )
        kube.create(client, _event(verdict, stamp))
    except kube.KubeError as exc:
        metrics.errors.inc()
        return Outcome(_with_message(verdict, f"warning failed: {exc}"), "failed")
    metrics.warned.inc()
    return Outcome(verdict, "warned")


def _delete(
    client: kube.KubeClient,
    verdict: Verdict,
    *,
    now: Callable[[], datetime],
    policy: Policy,
    options: Options,
    metrics: ReaperMetrics,
) -> Outcome:
    if not options.apply:
        metrics.skipped.labels("dry-run").inc()
        return Outcome(verdict, "would-delete")
    try:
        # Decide again on a fresh read: an extension or a removed label since the list wins.
        fresh = list(kube.iter_objects(client, "v1", "Namespace", fields={"metadata.name": verdict.name}))
        again = decide(fresh[0], now(), policy) if fresh else None
        if again is None or again.action is not Action.DELETE:
            metrics.skipped.labels("changed").inc()
            return Outcome(verdict if again is None else again, "changed")
        kube.delete(client, "v1", "Namespace", verdict.name)
    except kube.NotFoundError:
        metrics.skipped.labels("changed").inc()
        return Outcome(_with_message(verdict, "already gone"), "changed")
    except kube.KubeError as exc:
        metrics.errors.inc()
        return Outcome(_with_message(verdict, f"delete failed: {exc}"), "failed")
    metrics.deleted.inc()
    return Outcome(verdict, "deleted")


def _with_message(verdict: Verdict, message: str) -> Verdict:
    return Verdict(
        verdict.name, verdict.action, verdict.reason, message, verdict.deadline, verdict.finalizers
    )


def _event(verdict: Verdict, stamp: str) -> dict[str, Any]:
    """A Warning Event in the namespace itself, where its owner looks (`kubectl get events -n NAME`).
    The API wants involvedObject.namespace to equal the Event's, so it names the namespace twice."""
    deadline = ttl.format_instant(verdict.deadline) if verdict.deadline else "now"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": "kbp-reap-", "namespace": verdict.name},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "name": verdict.name,
            "namespace": verdict.name,
        },
        "type": "Warning",
        "reason": "ReapScheduled",
        "message": (
            f"namespace {verdict.name} expires at {deadline}; kbp reap will delete it. "
            f"Keep it with: kbp ns extend {verdict.name} --ttl 7d"
        ),
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def _log(log: TextIO, outcome: Outcome, options: Options) -> None:
    line = {"event": "decision", "dry_run": not options.apply, **outcome.as_item()}
    log.write(json.dumps(line, separators=(",", ":")) + "\n")
