"""The cluster's log stack on the real node (support.logstack), collecting a pod that writes the
journal's own JSON lines (the journal image, its logging code) until they are queryable by
namespace, pod and request id."""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from support import logstack
from support.controlplane import ControlPlane
from support.logstack import load_api_image, query, writer_pod
from support.onboarding import Onboarded, onboard, unique
from support.realnode import namespace, ready_pod

# Deadlines only bound a hang: how fast a line arrives is for bench/, not a test.
TIMEOUT = 180.0

# A stack to build and start on the node in a first test's setup (as in running/): more than the
# default 300 s on a loaded machine.
pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def log_stack(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with logstack.log_stack(real_cluster, tmp_path_factory.mktemp("log-stack")) as store_ip:
        yield store_ip


@pytest.fixture(scope="module")
def image(real_cluster: ControlPlane) -> str:
    """The journal's API image, built (or found in the build cache) and loaded into the node once."""
    return load_api_image(real_cluster)


def wait_queryable(plane: ControlPlane, store_ip: str, logsql: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + TIMEOUT
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        found = query(plane, store_ip, logsql)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{logsql}: {len(found)} of {count} lines after {TIMEOUT:.0f} s")


def test_a_journal_line_is_queryable_by_namespace_pod_and_request_id(
    real_cluster: ControlPlane, log_stack: str, image: str
) -> None:
    rid = secrets.token_hex(8)
    with real_cluster.client() as client, namespace(client) as ns:
        kube.create(client, writer_pod("writer", ns, image, [rid], then_sleep=300))
        ready_pod(client, "writer", ns)
        logsql = f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="writer" request_id:="{rid}"'
        [line] = wait_queryable(real_cluster, log_stack, logsql, 1)
        assert line["level"] == "info"
        assert line["route"] == "/api"
        assert line["status"] == "200"
        assert line["duration_ms"] == "1.5"
        assert line["_msg"] == "request"
        assert line["kubernetes.pod_labels.app.kubernetes.io/instance"] == "journal"


def test_a_container_restart_loses_no_line_already_written(
    real_cluster: ControlPlane, log_stack: str, image: str
) -> None:
    """The container writes 50 lines and exits; the kubelet starts it again (a new log file)."""
    ids = [f"r{i:03d}-{secrets.token_hex(3)}" for i in range(50)]
    with real_cluster.client() as client, namespace(client) as ns:
        kube.create(client, writer_pod("restarts", ns, image, ids, then_sleep=0))

        def restarted() -> bool | None:
            pod = kube.get(client, "v1", "Pod", "restarts", ns)
            statuses = pod["status"].get("containerStatuses") or [{}]
            return True if statuses[0].get("restartCount", 0) >= 2 else None

        kube.wait_for(restarted, timeout=TIMEOUT, what="the writer to restart twice")
        logsql = f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="restarts" | uniq by (request_id)'
        found = wait_queryable(real_cluster, log_stack, logsql, len(ids))
        assert {f["request_id"] for f in found} == set(ids)


def dev_logs(plane: ControlPlane, who: Onboarded, *args: str) -> subprocess.CompletedProcess[str]:
    env = plane.env()
    env.pop("KUBECONFIG")
    argv = [sys.executable, "-m", "kbp", "dev", "logs", "--kubeconfig", str(who.kubeconfig), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_developer_reads_their_namespaces_logs_and_not_another_teams(
    real_cluster: ControlPlane, tmp_path: Path, image: str
) -> None:
    """The developers' route: `kbp dev logs`, which without the store grant reads the pods' own logs
    (pods/log, granted by their edit role in their namespace only)."""
    mine, theirs = (onboard(real_cluster, tmp_path, unique(n)) for n in ("lia", "max"))
    ids = {who.name: f"{who.name}-{secrets.token_hex(4)}" for who in (mine, theirs)}
    with real_cluster.client() as admin:
        for who in (mine, theirs):
            kube.create(
                admin, writer_pod("journal-api-1", who.namespace, image, [ids[who.name]], then_sleep=300)
            )
        for who in (mine, theirs):
            ready_pod(admin, "journal-api-1", who.namespace)
    own = dev_logs(real_cluster, mine)
    assert own.returncode == 0, own.stderr
    assert "you may not read the log store" in own.stderr  # developers are not bound to the store
    assert f"journal-api-1 info GET /api 200 1.5 {ids[mine.name]} request" in own.stdout
    assert ids[theirs.name] not in own.stdout
    other = dev_logs(real_cluster, mine, "-n", theirs.namespace)
    assert other.returncode == 1
    assert ids[theirs.name] not in other.stdout
    assert "forbidden" in other.stderr.lower(), other.stderr
