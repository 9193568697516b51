"""Why the CoreDNS pod is not serving, in words, for `up`'s error when cluster DNS never answers.

Pure: the pods, the namespace's events and each pod's last log lines in, one text out: every pod,
with all kbp.podwarnings finds about it (a container waiting for an image the node does not have,
a crash loop and the last lines the container wrote, a pod nobody scheduled), not only "timed out".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kbp import podwarnings

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
        owners = {
            (kind, name)
            for kind, name in map(podwarnings.about, events)
            if kind in ("Deployment", "ReplicaSet") and (name == workload or name.startswith(f"{workload}-"))
        }
        return "\n".join([f"no {workload} pod exists", *_warnings(events, owners)])
    lines: list[str] = []
    for pod in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        name = str(pod["metadata"]["name"])
        status = pod.get("status") or {}
        lines.append(f"pod {pod['metadata'].get('namespace', '')}/{name}: {status.get('phase', 'Unknown')}")
        unscheduled = podwarnings.unscheduled(pod)
        if unscheduled:
            lines.append(f"  {unscheduled}")
        for container in podwarnings.containers(pod):
            lines += [f"  {line}" for line in podwarnings.container_troubles(container)]
        lines += [f"  {line}" for line in _warnings(events, {("Pod", name)})]
        if logs.get(name):
            lines.append("  last log lines:")
            lines += [f"    {line}" for line in logs[name]]
    return "\n".join(lines)


def _warnings(events: Sequence[Mapping[str, Any]], objects: set[podwarnings.Object]) -> list[str]:
    newest = podwarnings.warnings(events, objects)[:EVENTS_PER_OBJECT]
    return [f"event {podwarnings.event_summary(e)}" for e in newest]


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
