"""Waiting for a release's workloads: each Deployment and StatefulSet judged from its status (pure),
and a loop that polls them against a deadline and, on failure, says why from the events.

A Deployment is done when the controller has seen its generation and every desired pod is updated and
available with no old pod left; it has failed early when Progressing says ProgressDeadlineExceeded.
A StatefulSet is done when its update revision is current and every pod is ready. A workload whose
pod waits for an image the node will never get (`imagePullPolicy: Never` and no such image, or an
invalid name) has failed too: waiting out the deadline would change nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kbp import kube, podwarnings

WORKLOADS = (("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"))
POLL_S = 0.5
# Waiting reasons the kubelet does not recover from by itself (a pull error backs off and retries).
NEVER_STARTS = frozenset({"ErrImageNeverPull", "InvalidImageName"})


@dataclass(frozen=True)
class Workload:
    kind: str
    name: str
    ready: int
    desired: int
    done: bool
    failed: str | None  # why the controller gave up, if it did
    images: tuple[str, ...]
    selector: Mapping[str, str]

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}"


def judge(obj: Mapping[str, Any]) -> Workload:
    """One Deployment or StatefulSet's progress, from its spec and status alone."""
    kind, meta, spec = obj["kind"], obj["metadata"], obj.get("spec") or {}
    status = obj.get("status") or {}
    desired = int(spec.get("replicas", 1))
    seen = int(status.get("observedGeneration") or 0) >= int(meta.get("generation") or 0)
    ready = int(status.get("readyReplicas") or 0)
    updated = int(status.get("updatedReplicas") or 0)
    if kind == "Deployment":
        available = int(status.get("availableReplicas") or 0)
        total = int(status.get("replicas") or 0)
        done = seen and updated == desired and total == desired and available == desired
        failed = _deadline_exceeded(status)
    else:
        current = status.get("currentRevision") == status.get("updateRevision")
        done = seen and current and updated == desired and ready == desired
        failed = None
    containers = spec.get("template", {}).get("spec", {}).get("containers") or []
    return Workload(
        kind=kind,
        name=meta["name"],
        ready=ready,
        desired=desired,
        done=done,
        failed=failed,
        images=tuple(str(c.get("image", "")) for c in containers),
        selector=dict((spec.get("selector") or {}).get("matchLabels") or {}),
    )


def _deadline_exceeded(status: Mapping[str, Any]) -> str | None:
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return str(cond.get("message") or "progress deadline exceeded")
    return None


def _matches(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def why(workload: Workload, pods: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]]) -> str:
    """The reason a workload is not ready: its newest warning event, or its unready pods', else
    why the controller gave up, else what an unready pod's container is waiting for or how it
    last exited, else its counts."""
    unready = sorted(
        (
            p
            for p in pods
            if _matches(p["metadata"].get("labels") or {}, workload.selector) and not _pod_ready(p)
        ),
        key=lambda p: str(p["metadata"]["name"]),
    )
    names = {(workload.kind, workload.name), *(("Pod", str(p["metadata"]["name"])) for p in unready)}
    newest = next(iter(podwarnings.warnings(events, names)), None)
    if newest is not None:
        kind, name = podwarnings.about(newest)
        return f"{podwarnings.event_summary(newest)} ({kind.lower()}/{name})"
    if workload.failed:
        return workload.failed
    for pod in unready:
        for container in podwarnings.containers(pod):
            troubles = podwarnings.container_troubles(container)
            if troubles:
                return f"{troubles[0]} (pod/{pod['metadata']['name']})"
    return f"{workload.ready}/{workload.desired} ready"


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    return kube.condition(pod, "Ready") == "True"


def never_starts(workload: Workload, pods: Sequence[Mapping[str, Any]]) -> bool:
    """Whether one of the workload's pods has a container that waits for good (NEVER_STARTS)."""
    return any(
        podwarnings.waiting_reason(container) in NEVER_STARTS
        for pod in pods
        if _matches(pod["metadata"].get("labels") or {}, workload.selector)
        for container in podwarnings.containers(pod)
    )


@dataclass(frozen=True)
class Outcome:
    workloads: tuple[Workload, ...]
    ok: bool
    reasons: Mapping[str, str]  # ref -> why, for each workload not done


def observe(client: kube.KubeClient, namespace: str, labels: Mapping[str, str]) -> list[Workload]:
    found: list[Workload] = []
    for api_version, kind in WORKLOADS:
        found += [judge(o) for o in kube.list_objects(client, api_version, kind, namespace, labels)]
    return sorted(found, key=lambda w: w.ref)


def wait(
    client: kube.KubeClient,
    namespace: str,
    labels: Mapping[str, str],
    *,
    timeout_s: float,
    on_progress: Callable[[Sequence[Workload]], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
) -> Outcome:
    """Poll the workloads matching `labels` until all are done, one has failed, or time is up."""
    deadline = clock() + timeout_s
    while True:
        workloads = observe(client, namespace, labels)
        on_progress(workloads)
        if workloads and all(w.done for w in workloads):
            return Outcome(tuple(workloads), True, {})
        if any(w.failed for w in workloads) or clock() >= deadline or _stuck(client, namespace, workloads):
            return Outcome(tuple(workloads), False, explain(client, namespace, workloads))
        time.sleep(POLL_S)


def _stuck(client: kube.KubeClient, namespace: str, workloads: Sequence[Workload]) -> bool:
    pending = [w for w in workloads if not w.done]
    if not pending:
        return False
    pods = kube.list_objects(client, "v1", "Pod", namespace)
    return any(never_starts(w, pods) for w in pending)


def explain(client: kube.KubeClient, namespace: str, workloads: Sequence[Workload]) -> dict[str, str]:
    pending = [w for w in workloads if not w.done]
    if not pending:
        return {}
    pods = kube.list_objects(client, "v1", "Pod", namespace)
    events = kube.list_objects(client, "v1", "Event", namespace)
    return {w.ref: why(w, pods, events) for w in pending}
