"""The cluster's log stack on the real node: deploy/cluster-services/charts/logs with images made
from testenv/observability's binaries, collecting a pod that writes the journal's own JSON lines
(the journal image, its logging code) until they are queryable by namespace, pod and request id.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from kbp.cluster.node import images
from kbp.cluster.node.launcher import import_image
from support.controlplane import ControlPlane
from support.observability import bin_dir
from support.onboarding import Onboarded, onboard, unique
from support.realnode import get_from_node, namespace, node_of, ready_pod

ROOT = Path(__file__).parents[3]
CHART = ROOT / "deploy" / "cluster-services" / "charts" / "logs"
VERSION = "v1.52.2"
QUERYABLE_S = 10.0
TIMEOUT = 180.0

pytestmark = pytest.mark.helm

# The journal's logger (journal.logs), one request line per id, as its access middleware writes.
WRITER = """
import sys, time, structlog
from journal.logs import configure_logging
log = configure_logging("info")
for rid in sys.argv[1].split(","):
    structlog.contextvars.bind_contextvars(request_id=rid)
    log.info("request", method="GET", route="/api", status=200, duration_ms=1.5)
    time.sleep(0.05)
time.sleep(float(sys.argv[2]))
"""


def load_api_image(plane: ControlPlane) -> str:
    argv = [
        *(sys.executable, "-m", "kbp", "image", "build", "api", "--allow-dirty", "--load"),
        *("--state-dir", str(plane.layout.root), "-o", "json"),
    ]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (row,) = json.loads(done.stdout)["items"]
    return str(row["ref"])


@pytest.fixture(scope="module")
def log_stack(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The logs chart installed with images of the same release's binaries; the store's pod IP."""
    node = node_of(real_cluster)
    tmp = tmp_path_factory.mktemp("log-images")
    for name in ("victoria-logs", "vlagent"):
        tag = f"docker.io/victoriametrics/{name}:{VERSION}"
        import_image(
            node,
            images.docker_archive(tmp / f"{name}.tar", tag, {f"/{name}": bin_dir() / name}, [f"/{name}"]),
        )
    release_ns = f"logging-{secrets.token_hex(3)}"
    state = tmp_path_factory.mktemp("vlagent-state")
    real_cluster.run(
        "helm", "install", "logs", str(CHART), "-n", release_ns, "--create-namespace",
        "--set", f"collector.podLogsPath={node.pod_logs}", "--set", f"collector.statePath={state}",
        "--set", "imagePullPolicy=Never", "--wait", "--timeout", "180s",
    )  # fmt: skip
    try:
        with real_cluster.client() as client:
            [pod] = kube.list_objects(
                client, "v1", "Pod", release_ns, {"app.kubernetes.io/name": "victoria-logs"}
            )
            yield str(pod["status"]["podIP"])
    finally:
        real_cluster.run("helm", "uninstall", "logs", "-n", release_ns, "--wait", check=False)
        with real_cluster.client() as client:
            kube.delete(client, "v1", "Namespace", release_ns)


def query(plane: ControlPlane, store_ip: str, logsql: str) -> list[dict[str, Any]]:
    url = f"http://{store_ip}:9428/select/logsql/query?" + urllib.parse.urlencode({"query": logsql})
    body = get_from_node(node_of(plane), url)
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def writer_pod(name: str, ns: str, image: str, ids: list[str], *, then_sleep: float) -> dict[str, Any]:
    container = {
        "name": "api",
        "image": image,
        "imagePullPolicy": "Never",
        "command": ["python", "-c", WRITER, ",".join(ids), str(then_sleep)],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/instance": "journal"}},
        "spec": {
            "containers": [container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 1,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        },
    }


def wait_queryable(
    plane: ControlPlane, store_ip: str, logsql: str, count: int
) -> tuple[float, list[dict[str, Any]]]:
    started = time.monotonic()
    found: list[dict[str, Any]] = []
    while time.monotonic() - started < 60:
        found = query(plane, store_ip, logsql)
        if len(found) >= count:
            return time.monotonic() - started, found
        time.sleep(0.2)
    raise AssertionError(f"{logsql}: {len(found)} of {count} lines after 60 s")


def test_a_journal_line_is_queryable_by_namespace_pod_and_request_id(
    real_cluster: ControlPlane, log_stack: str
) -> None:
    image = load_api_image(real_cluster)
    rid = secrets.token_hex(8)
    with real_cluster.client() as client, namespace(client) as ns:
        kube.create(client, writer_pod("writer", ns, image, [rid], then_sleep=300))
        ready_pod(client, "writer", ns)
        written = time.monotonic()
        logsql = f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="writer" request_id:="{rid}"'
        waited, [line] = wait_queryable(real_cluster, log_stack, logsql, 1)
        assert time.monotonic() - written < QUERYABLE_S, f"queryable after {waited:.1f} s"
        assert line["level"] == "info"
        assert line["route"] == "/api"
        assert line["status"] == "200"
        assert line["duration_ms"] == "1.5"
        assert line["_msg"] == "request"
        assert line["kubernetes.pod_labels.app.kubernetes.io/instance"] == "journal"


def test_a_container_restart_loses_no_line_already_written(
    real_cluster: ControlPlane, log_stack: str
) -> None:
    """The container writes 50 lines and exits; the kubelet starts it again (a new log file)."""
    image = load_api_image(real_cluster)
    ids = [f"r{i:03d}-{secrets.token_hex(3)}" for i in range(50)]
    with real_cluster.client() as client, namespace(client) as ns:
        kube.create(client, writer_pod("restarts", ns, image, ids, then_sleep=0))

        def restarted() -> bool | None:
            pod = kube.get(client, "v1", "Pod", "restarts", ns)
            statuses = pod["status"].get("containerStatuses") or [{}]
            return True if statuses[0].get("restartCount", 0) >= 2 else None

        kube.wait_for(restarted, timeout=TIMEOUT, what="the writer to restart twice")
        logsql = f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="restarts" | uniq by (request_id)'
        _, found = wait_queryable(real_cluster, log_stack, logsql, len(ids))
        assert {f["request_id"] for f in found} == set(ids)


def dev_logs(plane: ControlPlane, who: Onboarded, *args: str) -> subprocess.CompletedProcess[str]:
    env = plane.env()
    env.pop("KUBECONFIG")
    argv = [sys.executable, "-m", "kbp", "dev", "logs", "--kubeconfig", str(who.kubeconfig), *args]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_developer_reads_their_namespaces_logs_and_not_another_teams(
    real_cluster: ControlPlane, tmp_path: Path
) -> None:
    """The developers' route: `kbp dev logs`, which without the store grant reads the pods' own logs
    (pods/log, granted by their edit role in their namespace only)."""
    image = load_api_image(real_cluster)
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
