"""Judging a workload's rollout from its status, and saying why it is not ready."""

from __future__ import annotations

from typing import Any

from kbp.release.rollout import judge, never_starts, why


def dep(*, desired: int = 2, gen: int = 2, observed: int = 2, **status: Any) -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "journal-api", "generation": gen},
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"app": "api"}},
            "template": {"spec": {"containers": [{"image": "ghcr.io/kbp/journal-api:v1.0.0-abcdef01"}]}},
        },
        "status": {"observedGeneration": observed, **status},
    }


def test_a_finished_deployment_is_done() -> None:
    w = judge(dep(replicas=2, updatedReplicas=2, availableReplicas=2, readyReplicas=2))
    assert w.done
    assert (w.ready, w.desired, w.ref) == (2, 2, "deployment/journal-api")
    assert w.images == ("ghcr.io/kbp/journal-api:v1.0.0-abcdef01",)


def test_old_pods_still_running_mean_not_done() -> None:
    assert not judge(dep(replicas=3, updatedReplicas=2, availableReplicas=3, readyReplicas=3)).done


def test_an_unobserved_generation_is_not_done_even_with_old_counts_complete() -> None:
    assert not judge(dep(gen=3, replicas=2, updatedReplicas=2, availableReplicas=2)).done


def test_progress_deadline_exceeded_is_a_failure() -> None:
    cond = {
        "type": "Progressing",
        "status": "False",
        "reason": "ProgressDeadlineExceeded",
        "message": "too slow",
    }
    assert judge(dep(conditions=[cond])).failed == "too slow"


def test_a_statefulset_is_done_when_its_update_revision_is_current_and_ready() -> None:
    sts: dict[str, Any] = {
        "kind": "StatefulSet",
        "metadata": {"name": "journal-redis", "generation": 1},
        "spec": {"replicas": 2, "template": {"spec": {"containers": []}}},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": 2,
            "updatedReplicas": 2,
            "currentRevision": "a",
            "updateRevision": "a",
        },
    }
    assert judge(sts).done
    sts["status"]["updateRevision"] = "b"
    assert not judge(sts).done


def pod(name: str, ready: bool, labels: dict[str, str] | None = None) -> dict[str, Any]:
    status = "True" if ready else "False"
    return {
        "metadata": {"name": name, "labels": labels or {"app": "api"}},
        "status": {"conditions": [{"type": "Ready", "status": status}]},
    }


def event(kind: str, name: str, reason: str, message: str, at: str, type_: str = "Warning") -> dict[str, Any]:
    return {
        "type": type_,
        "reason": reason,
        "message": message,
        "lastTimestamp": at,
        "involvedObject": {"kind": kind, "name": name},
    }


def test_why_names_the_newest_warning_of_an_unready_pod() -> None:
    w = judge(dep(replicas=3, updatedReplicas=1, availableReplicas=2, readyReplicas=2))
    pods = [pod("api-old", True), pod("api-new", False), pod("other", False, {"app": "x"})]
    events = [
        event("Pod", "api-new", "Scheduled", "ok", "2026-01-01T00:00:01Z", "Normal"),
        event("Pod", "api-new", "Unhealthy", "Readiness probe failed: 503", "2026-01-01T00:00:05Z"),
        event("Pod", "other", "BackOff", "not ours", "2026-01-01T00:00:09Z"),
        event("Pod", "api-old", "Unhealthy", "ready pods are not the reason", "2026-01-01T00:00:09Z"),
    ]
    assert why(w, pods, events) == "Unhealthy: Readiness probe failed: 503 (pod/api-new)"


def test_without_events_why_falls_back_to_the_counts() -> None:
    w = judge(dep(replicas=2, updatedReplicas=2, availableReplicas=1, readyReplicas=1))
    assert why(w, [], []) == "1/2 ready"


def waiting(name: str, reason: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    unready = pod(name, False, labels)
    unready["status"]["containerStatuses"] = [{"name": "api", "state": {"waiting": {"reason": reason}}}]
    return unready


def test_a_pod_waiting_for_an_image_it_will_never_get_fails_the_workload_at_once() -> None:
    w = judge(dep(replicas=2, updatedReplicas=2, availableReplicas=0, readyReplicas=0))
    assert never_starts(w, [pod("api-a", True), waiting("api-b", "ErrImageNeverPull")])
    assert never_starts(w, [waiting("api-b", "InvalidImageName")])
    # A pull error backs off and retries, and it may be another workload's pod.
    assert not never_starts(w, [waiting("api-b", "ImagePullBackOff"), waiting("api-c", "ErrImagePull")])
    assert not never_starts(w, [waiting("other", "ErrImageNeverPull", {"app": "x"})])


def test_without_warnings_why_names_what_an_unready_pods_container_waits_for() -> None:
    w = judge(dep(replicas=2, updatedReplicas=2, availableReplicas=1, readyReplicas=1))
    pods = [pod("api-a", True), waiting("api-b", "ContainerCreating"), waiting("other", "X", {"app": "x"})]
    assert why(w, pods, []) == "container api waiting: ContainerCreating (pod/api-b)"


def test_why_says_how_often_the_warning_happened_on_one_line() -> None:
    w = judge(dep(replicas=1, updatedReplicas=1, availableReplicas=0, readyReplicas=0))
    message = "Back-off restarting\n failed container"
    warning = event("Pod", "api-b", "BackOff", message, "2026-01-01T00:00:05Z")
    warning["count"] = 7
    assert why(w, [pod("api-b", False)], [warning]) == (
        "BackOff: Back-off restarting failed container (x7) (pod/api-b)"
    )
