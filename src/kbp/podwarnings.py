"""Why pods are not serving, from their status and their namespace's events, in words. Pure.

What the kubelet and the controllers say (the newest warning events about an object, a container
waiting for an image the node does not have, a crash loop's last exit, a pod nobody scheduled) is
what a user needs, not only "timed out" or "1/2 ready". Two accounts are made of it:
`kbp cluster up --real-node`'s error when cluster DNS never answers (kbp.cluster.node.podstatus,
every line) and a rollout's reason a workload is not ready (kbp.release.rollout, the newest one).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

Object = tuple[str, str]  # (kind, name) an event is about


def about(event: Mapping[str, Any]) -> Object:
    obj = event.get("involvedObject") or {}
    return str(obj.get("kind", "")), str(obj.get("name", ""))


def warnings(events: Sequence[Mapping[str, Any]], objects: Collection[Object]) -> list[Mapping[str, Any]]:
    """The Warning events about any of `objects`, newest first."""
    found = [e for e in events if e.get("type") == "Warning" and about(e) in objects]
    return sorted(found, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""), reverse=True)


def event_summary(event: Mapping[str, Any]) -> str:
    """`Reason: message`, on one line, with how often it happened."""
    count = int(event.get("count") or 1)
    times = f" (x{count})" if count > 1 else ""
    return f"{event.get('reason')}: {one_line(event.get('message'))}{times}"


def containers(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statuses of a pod's init containers, then of its containers."""
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def waiting_reason(container: Mapping[str, Any]) -> str | None:
    waiting = (container.get("state") or {}).get("waiting")
    return None if waiting is None else str((waiting or {}).get("reason", ""))


def container_troubles(container: Mapping[str, Any]) -> list[str]:
    """What one container is waiting for and how it last exited; else that it is not ready, if so."""
    name = container.get("name", "?")
    state = container.get("state") or {}
    found = []
    if "waiting" in state:
        waiting = state["waiting"] or {}
        message = one_line(waiting.get("message"))
        found.append(
            f"container {name} waiting: {waiting.get('reason', '')}" + (f": {message}" if message else "")
        )
    last = (container.get("lastState") or {}).get("terminated") or state.get("terminated")
    if last:
        restarts = int(container.get("restartCount") or 0)
        found.append(
            f"container {name} exited {last.get('exitCode')} ({last.get('reason', '')}), {restarts} restarts"
        )
    if not found and not container.get("ready"):
        found.append(f"container {name} running, not ready")
    return found


def unscheduled(pod: Mapping[str, Any]) -> str | None:
    """Why the scheduler has not placed the pod, if it has not."""
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return f"not scheduled: {cond.get('reason')}: {one_line(cond.get('message'))}"
    return None


def one_line(text: Any) -> str:
    return " ".join(str(text or "").split())
