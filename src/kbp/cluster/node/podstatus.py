"""Why the CoreDNS pod is not serving, in words, for `up`'s error when cluster DNS never answers.

Pure: the pods, the namespace's events and each pod's last log lines in, one text out. What the
kubelet says (a container waiting for an image the node does not have, a crash loop and the last
lines the container wrote, a pod nobody scheduled) is what a user needs, not only "timed out".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

EVENTS_PER_OBJECT = 3


def describe(
    pods: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    logs: Mapping[str, Sequence[str]],
    *,
    workload: str,
) -> str:
    """Each pod's phase, its containers' waiting or exit reasons, its newest warnings and its log
    lines (`logs` by pod name). With no pod, the warnings of `workload` (a Deployment's name) and
    its ReplicaSets, which say why none was made."""
    if not pods:
        owners = [
            e
            for e in events
            if _about(e)[0] in ("Deployment", "ReplicaSet")
            and (_about(e)[1] == workload or _about(e)[1].startswith(f"{workload}-"))
        ]
        return "\n".join([f"no {workload} pod exists", *_warnings(owners)])
    lines: list[str] = []
    for pod in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        name = str(pod["metadata"]["name"])
        status = pod.get("status") or {}
        lines.append(f"pod {pod['metadata'].get('namespace', '')}/{name}: {status.get('phase', 'Unknown')}")
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                lines.append(f"  not scheduled: {cond.get('reason')}: {_one_line(cond.get('message'))}")
        for container in [
            *(status.get("initContainerStatuses") or []),
            *(status.get("containerStatuses") or []),
        ]:
            lines += [f"  {line}" for line in _container(container)]
        lines += [f"  {line}" for line in _warnings([e for e in events if _about(e) == ("Pod", name)])]
        if logs.get(name):
            lines.append("  last log lines:")
            lines += [f"    {line}" for line in logs[name]]
    return "\n".join(lines)


def _container(container: Mapping[str, Any]) -> list[str]:
    name = container.get("name", "?")
    state = container.get("state") or {}
    found = []
    if "waiting" in state:
        waiting = state["waiting"] or {}
        message = _one_line(waiting.get("message"))
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


def _warnings(events: Sequence[Mapping[str, Any]]) -> list[str]:
    warnings = [e for e in events if e.get("type") == "Warning"]
    warnings.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""), reverse=True)
    found = []
    for event in warnings[:EVENTS_PER_OBJECT]:
        count = int(event.get("count") or 1)
        times = f" (x{count})" if count > 1 else ""
        found.append(f"event {event.get('reason')}: {_one_line(event.get('message'))}{times}")
    return found


def _about(event: Mapping[str, Any]) -> tuple[str, str]:
    obj = event.get("involvedObject") or {}
    return str(obj.get("kind", "")), str(obj.get("name", ""))


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def log_lines(text: str, count: int) -> list[str]:
    """The last `count` lines a container wrote, from the kubelet's CRI log file (each line is
    `<time> <stream> <P|F> <text>`; a P line continues in the next)."""
    lines: list[str] = []
    partial = ""
    for raw in text.splitlines():
        parts = raw.split(" ", 3)
        if len(parts) < 3:
            continue
        body = parts[3] if len(parts) == 4 else ""
        if parts[2] == "P":
            partial += body
            continue
        lines.append(partial + body)
        partial = ""
    return lines[-count:]
