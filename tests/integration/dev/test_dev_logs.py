"""kbp dev logs: an onboarded developer reads their release's lines from a real VictoriaLogs, only
their namespace's whatever the query; without access to the store it falls back to the pods."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kbp import kube
from support.controlplane import ControlPlane
from support.observability import LogStore, log_store
from support.onboarding import Onboarded, onboard, unique

RELEASE_FIELD = "kubernetes.pod_labels.app.kubernetes.io/instance"


def kbp_logs(cluster: ControlPlane, who: Onboarded, *args: str) -> subprocess.CompletedProcess[str]:
    env = cluster.env()
    env.pop("KUBECONFIG")
    return subprocess.run(
        [sys.executable, "-m", "kbp", "dev", "logs", "--kubeconfig", str(who.kubeconfig), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def line(namespace: str, pod: str, request_id: str, *, ago: timedelta, status: int = 200) -> dict[str, str]:
    stamp = (datetime.now(UTC) - ago).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "timestamp": stamp,
        "event": "request",
        "level": "info",
        "method": "GET",
        "route": "/api",
        "status": str(status),
        "duration_ms": "1.5",
        "request_id": request_id,
        "kubernetes.pod_namespace": namespace,
        "kubernetes.pod_name": pod,
        "kubernetes.container_name": "api",
        RELEASE_FIELD: "journal",
    }


@pytest.fixture(scope="module")
def ana(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    return onboard(cluster, tmp_path_factory.mktemp("ana"), unique("ana"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, ana: Onboarded) -> Iterator[LogStore]:
    with log_store(tmp_path_factory.mktemp("vlogs")) as running:
        running.ingest(
            [
                line(ana.namespace, "journal-api-1", "mine-1", ago=timedelta(minutes=3)),
                line(ana.namespace, "journal-api-2", "mine-2", ago=timedelta(minutes=2), status=503),
                line(ana.namespace, "journal-api-1", "old-1", ago=timedelta(hours=3)),
                line("team-other", "journal-api-1", "theirs-1", ago=timedelta(minutes=1)),
            ]
        )
        yield running


def test_a_developer_reads_their_releases_lines_across_pods(
    cluster: ControlPlane, ana: Onboarded, store: LogStore
) -> None:
    result = kbp_logs(cluster, ana, "--source", "store", "--store-url", store.url, "--since", "1h")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2, result.stdout
    assert "journal-api-1 info GET /api 200 1.5 mine-1 request" in lines[0]  # oldest first
    assert "journal-api-2 info GET /api 503 1.5 mine-2 request" in lines[1]
    assert "theirs-1" not in result.stdout
    assert "old-1" not in result.stdout  # older than --since


def test_a_query_narrows_but_cannot_reach_another_namespace(
    cluster: ControlPlane, ana: Onboarded, store: LogStore
) -> None:
    errors = kbp_logs(cluster, ana, "--store-url", store.url, "-q", "status:>=500", "-o", "json")
    assert errors.returncode == 0, errors.stderr
    assert "mine-2" in errors.stdout
    assert "mine-1" not in errors.stdout
    widened = kbp_logs(
        cluster, ana, "--store-url", store.url, "-q", "kubernetes.pod_namespace:=team-other or *"
    )
    assert widened.returncode == 0, widened.stderr
    assert "theirs-1" not in widened.stdout
    assert "theirs-1" in str(store.query("request_id:=theirs-1"))  # it is in the store


def test_a_bad_since_is_refused_before_any_call(cluster: ControlPlane, ana: Onboarded) -> None:
    result = kbp_logs(cluster, ana, "--since", "yesterday")
    assert result.returncode == 2
    assert '--since: "yesterday" is not a duration' in result.stderr


def test_without_access_to_the_store_it_reads_the_pods_own_logs(
    cluster: ControlPlane, ana: Onboarded, tmp_path: Path
) -> None:
    """kwok pods have no containers to read, so the fallback's choice and pod discovery are what
    can be proven here; the lines themselves need the real node."""
    none = kbp_logs(cluster, ana)
    assert "you may not read the log store (get services/proxy on logging/victoria-logs)" in none.stderr
    assert none.returncode == 1
    assert f'no pods of release "journal" in namespace {ana.namespace}' in none.stderr
    labels = {"app.kubernetes.io/instance": "journal"}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "journal-api-x", "namespace": ana.namespace, "labels": labels},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "api",
                    "image": "registry.invalid/journal:v1",
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }
    with ana.client() as client:
        kube.create(client, pod)
    tried = kbp_logs(cluster, ana, "--source", "pods")
    assert tried.returncode == 1
    assert "reading the pods' own logs" not in tried.stderr  # asked for the pods: no note
    assert tried.stderr.startswith("error: "), tried.stderr
