"""Sentinel failover with the chart's own scripts at its defaults, on the real node: the primary's
container is killed under a steady writer, a replica is promoted, no acknowledged write is lost and
the old primary rejoins as a replica; a deleted primary pod comes back with its volume's data."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube
from support import onnode
from support.controlplane import ControlPlane
from support.realnode import namespace, node_of

# A cluster, an image load and an install in a first test's setup: more than the default 300 s
# on a loaded machine.
pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]

# Writes resume within down-after (5 s) plus the failover timeout (20 s), the chart's defaults.
RESUME_BOUND_S = 25.0


@pytest.fixture(scope="module")
def sentinel_release(real_cluster: ControlPlane, local_values: Path) -> Iterator[str]:
    with real_cluster.client() as client, namespace(client) as ns:
        onnode.install(real_cluster, ns, local_values, "redis.sentinel.enabled=true")
        yield ns


def sentinel_log(plane: ControlPlane, ns: str) -> str:
    return onnode.kubectl(plane, "logs", "-n", ns, "journal-redis-replica-0", "-c", "sentinel")[-3000:]


def test_killing_the_primarys_container_under_load_promotes_a_replica_and_loses_no_write(
    real_cluster: ControlPlane, sentinel_release: str, tmp_path: Path
) -> None:
    ns, node = sentinel_release, node_of(real_cluster)
    assert onnode.primary(real_cluster, ns) == "journal-redis-0"
    with real_cluster.client() as client:
        url = f"http://{onnode.cluster_ip(client, ns, 'journal-api')}"
    with onnode.steady_load(node, url, tmp_path) as load:
        time.sleep(3)
        # A crash (no shutdown), and the container kept down past down-after (5 s), until the
        # sentinels have promoted a replica: then it comes back to find one.
        killed_at = onnode.keep_killed(
            node, "journal-redis-0", ns, "redis", seconds=7,
            until=lambda: onnode.primary(real_cluster, ns) not in (None, "journal-redis-0"),
        )  # fmt: skip
        promoted = onnode.wait_for(
            lambda: (p := onnode.primary(real_cluster, ns)) not in (None, "journal-redis-0") and p,
            "a replica promoted",
            timeout_s=60,
            state=lambda: (onnode.roles(real_cluster, ns), sentinel_log(real_cluster, ns)),
        )
        # kubelet restarts the container; launch.sh asks the sentinels (or, when none answers, the
        # other Redis pods) and rejoins as a replica, never for a moment as a second primary.
        onnode.wait_for(
            lambda: onnode.role(real_cluster, ns, "journal-redis-0") == "slave", "-0 back as replica"
        )
        started = onnode.kubectl(real_cluster, "logs", "-n", ns, "journal-redis-0", "-c", "redis")
        assert f"name {promoted}." in started, started[-2000:]
        assert "as the primary: starting as replica" in started, started[-2000:]
        time.sleep(3)
    result = load.result
    assert result is not None
    assert onnode.unavailable_s(result["acknowledged"], killed_at) < RESUME_BOUND_S
    stored = onnode.texts(real_cluster, ns, promoted)
    lost = set(result["acknowledged"]) - set(stored)
    assert not lost, f"{len(lost)} acknowledged writes lost, e.g. {sorted(lost)[:3]}"
    assert len(stored) == len(set(stored)), "an entry stored twice"
    with real_cluster.client() as client:
        pod = kube.get(client, "v1", "Pod", "journal-redis-0", ns)
    restarts = {s["name"]: s["restartCount"] for s in pod["status"]["containerStatuses"]}
    assert restarts["redis"] >= 1


def test_a_deleted_primary_pod_comes_back_with_its_data_on_its_volume(
    real_cluster: ControlPlane, sentinel_release: str
) -> None:
    ns = sentinel_release
    with real_cluster.client() as client:
        before = kube.get(client, "v1", "PersistentVolumeClaim", "data-journal-redis-0", ns)
        uid = kube.get(client, "v1", "Pod", "journal-redis-0", ns)["metadata"]["uid"]
    stored_before = set(onnode.texts(real_cluster, ns, "journal-redis-0"))
    assert stored_before
    onnode.kubectl(real_cluster, "delete", "pod", "-n", ns, "journal-redis-0", "--wait=true")
    with real_cluster.client() as client:

        def back() -> bool:
            pod = kube.find(client, "v1", "Pod", "journal-redis-0", ns)
            return bool(pod and pod["metadata"]["uid"] != uid and kube.condition(pod, "Ready") == "True")

        onnode.wait_for(back, "journal-redis-0 Ready again", timeout_s=180)
        after = kube.get(client, "v1", "PersistentVolumeClaim", "data-journal-redis-0", ns)
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["spec"]["volumeName"] == before["spec"]["volumeName"]
    # The AOF on the volume predates the new pod, and everything is still there.
    listing = onnode.kubectl(
        real_cluster, "exec", "-n", ns, "journal-redis-0", "-c", "redis", "--", "ls", "/data"
    )
    assert "appendonlydir" in listing
    assert stored_before <= set(onnode.texts(real_cluster, ns, "journal-redis-0"))
