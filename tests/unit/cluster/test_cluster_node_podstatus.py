"""`kbp cluster up --real-node`'s error when cluster DNS never answers names what the kubelet says."""

from __future__ import annotations

from typing import Any

from kbp.cluster.node.podstatus import describe, log_lines

IMAGE = "kbp.local/coredns:v1.15.0"


def pod(name: str, *containers: dict[str, Any], phase: str = "Pending", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "kube-system", "uid": "u1"},
        "status": {"phase": phase, "containerStatuses": list(containers), **status},
    }


def event(kind: str, name: str, reason: str, message: str, when: str, count: int = 1) -> dict[str, Any]:
    return {
        "type": "Warning",
        "involvedObject": {"kind": kind, "name": name},
        "reason": reason,
        "message": message,
        "lastTimestamp": when,
        "count": count,
    }


def test_an_image_the_node_does_not_have_is_named_with_the_kubelets_words() -> None:
    never = f'Container image "{IMAGE}" is not present with pull policy of Never'
    waiting = {"waiting": {"reason": "ErrImageNeverPull", "message": never}}
    pods = [pod("coredns-7d9-abc", {"name": "coredns", "ready": False, "state": waiting})]
    events = [
        event("Pod", "coredns-7d9-abc", "Failed", "Error: ErrImageNeverPull", "2026-12-07T15:00:02Z", 4),
        event("Pod", "coredns-7d9-abc", "ErrImageNeverPull", never, "2026-12-07T15:00:01Z"),
        event("Pod", "another-pod", "Failed", "not about CoreDNS", "2026-12-07T15:00:03Z"),
    ]
    text = describe(pods, events, {}, workload="coredns")
    assert text.splitlines()[0] == "pod kube-system/coredns-7d9-abc: Pending"
    assert f"container coredns waiting: ErrImageNeverPull: {never}" in text
    # Newest first, with how often it happened; another pod's events are not this pod's.
    assert text.index("event Failed: Error: ErrImageNeverPull (x4)") < text.index("event ErrImageNeverPull")
    assert "not about CoreDNS" not in text


def test_a_crash_loop_shows_the_exit_and_the_last_lines_the_container_wrote() -> None:
    crashing = {
        "name": "coredns",
        "ready": False,
        "restartCount": 5,
        "state": {
            "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s restarting failed container"}
        },
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}},
    }
    logs = {"coredns-7d9-abc": ["plugin/kubernetes: invalid configuration", "exiting"]}
    text = describe([pod("coredns-7d9-abc", crashing, phase="Running")], [], logs, workload="coredns")
    assert "container coredns waiting: CrashLoopBackOff: back-off 2m40s restarting failed container" in text
    assert "container coredns exited 1 (Error), 5 restarts" in text
    assert text.endswith("last log lines:\n    plugin/kubernetes: invalid configuration\n    exiting")


def test_an_unscheduled_pod_and_a_running_one_that_is_not_ready_say_so() -> None:
    message = "0/1 nodes are available:\n 1 node(s) had taint"
    condition = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
    unscheduled = pod("coredns-a", conditions=[condition])
    running = pod("coredns-b", {"name": "coredns", "ready": False, "state": {"running": {}}}, phase="Running")
    text = describe([running, unscheduled], [], {}, workload="coredns")
    assert (
        "pod kube-system/coredns-a: Pending\n  not scheduled: Unschedulable: 0/1 nodes are available: 1 node"
        in text
    )
    assert "pod kube-system/coredns-b: Running\n  container coredns running, not ready" in text


def test_with_no_pod_the_deployments_and_replicasets_warnings_say_why() -> None:
    events = [
        event("ReplicaSet", "coredns-7d9", "FailedCreate", "pods is forbidden: violates PodSecurity", "t2"),
        event("ReplicaSet", "corednsx-1", "FailedCreate", "another workload", "t3"),
    ]
    text = describe([], events, {}, workload="coredns")
    assert text == "no coredns pod exists\nevent FailedCreate: pods is forbidden: violates PodSecurity"


def test_log_lines_are_the_last_ones_with_the_cri_prefix_gone_and_partial_lines_joined() -> None:
    text = (
        "2026-12-07T15:00:00.1Z stdout F first\n"
        "2026-12-07T15:00:00.2Z stderr P a long li\n"
        "2026-12-07T15:00:00.3Z stderr F ne, joined\n"
        "2026-12-07T15:00:00.4Z stderr F last\n"
    )
    assert log_lines(text, 2) == ["a long line, joined", "last"]
    assert log_lines(text, 10) == ["first", "a long line, joined", "last"]
