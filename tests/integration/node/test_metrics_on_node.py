"""The journal's metrics and alerts on the real node: the chart with the dev values and images built
here, a real Prometheus in the node's network scraping what the chart's ServiceMonitor selects (the
job the operator would write: its Prometheus and reloader images cannot be pulled here), and the
chart's JournalAPIUnavailable firing when the API's pods are gone and resolving when they return."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp import kube
from support import localimages
from support.charts import CHART, DEV
from support.controlplane import ControlPlane
from support.prometheus import Prometheus, prometheus, scrape_config
from support.realnode import get_from_node, namespace, node_of

TIMEOUT = 180.0
OPERATOR = (
    "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor",
    "--api-versions", "monitoring.coreos.com/v1/PrometheusRule",
)  # fmt: skip

# A stack to build and start on the node in a first test's setup (as in running/): more than the
# default 300 s on a loaded machine.
pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]


def chart_flags(values: Path) -> list[str]:
    sets = [
        "exposure.kind=none",
        "monitoring.serviceMonitor.interval=2s",
        "monitoring.serviceMonitor.scrapeTimeout=2s",
        "monitoring.prometheusRule.availability.for=10s",
    ]
    return ["-f", str(DEV), "-f", str(values), *(f for s in sets for f in ("--set", s))]


@pytest.fixture(scope="module")
def journal(
    real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Prometheus]]:
    refs = localimages.load(real_cluster, "api", "fileserver", "redis")
    flags = chart_flags(localimages.journal_values_file(refs, tmp_path_factory.mktemp("journal-values")))
    with real_cluster.client() as client, namespace(client) as ns:
        real_cluster.run(
            "helm", "install", "journal", str(CHART), "-n", ns, *flags, "--wait", "--timeout", "300s",
            timeout=330,
        )  # fmt: skip
        out = real_cluster.run("helm", "template", "journal", str(CHART), "-n", ns, *flags, *OPERATOR).stdout
        docs = {
            d["kind"]: d
            for d in yaml.safe_load_all(out)
            if d and d["kind"] in ("ServiceMonitor", "PrometheusRule")
        }
        node = node_of(real_cluster)
        job = scrape_config(docs["ServiceMonitor"], real_cluster.kubeconfig)
        data = tmp_path_factory.mktemp("prom-node")
        try:
            with prometheus(
                data, [job], docs["PrometheusRule"]["spec"], prefix=node.in_network(), host=node.ip
            ) as prom:
                yield ns, prom
        finally:
            real_cluster.run("helm", "uninstall", "journal", "-n", ns, "--wait", timeout=300, check=False)


def series(prom: Prometheus, expr: str) -> list[dict[str, Any]]:
    return list(prom.api("query", query=expr)["result"])


def wait_series(prom: Prometheus, expr: str, what: str, count: int = 1) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def check() -> bool | None:
        found[:] = series(prom, expr)
        return True if len(found) >= count else None

    kube.wait_for(check, timeout=TIMEOUT, what=f"{what} ({expr}); have {found}")
    return found


def alert(prom: Prometheus) -> str | None:
    for a in prom.api("alerts")["alerts"]:
        if a["labels"]["alertname"] == "JournalAPIUnavailable":
            return str(a["state"])
    return None


def test_prometheus_scrapes_the_api_pods_with_request_and_latency_metrics(
    real_cluster: ControlPlane, journal: tuple[str, Prometheus]
) -> None:
    ns, prom = journal
    with real_cluster.client() as client:
        pods = kube.list_objects(client, "v1", "Pod", ns, {"app.kubernetes.io/component": "frontend"})
        service = kube.get(client, "v1", "Service", "journal-api", ns)
    names = {p["metadata"]["name"] for p in pods}
    up = wait_series(
        prom, f'up{{namespace="{ns}",service="journal-api"}} == 1', "every API pod up", len(names)
    )
    assert {s["metric"]["pod"] for s in up} == names
    node = node_of(real_cluster)
    for _ in range(20):
        get_from_node(node, f"http://{service['spec']['clusterIP']}/api")
    counted = f'journal_http_requests_total{{namespace="{ns}",route="/api",method="GET",status="200"}}'
    wait_series(prom, f"sum({counted}) >= 20", "the 20 GETs of /api counted")
    requests = series(prom, counted)
    assert requests, counted
    assert {s["metric"]["pod"] for s in requests} <= names
    assert all(s["metric"]["container"] == "api" for s in requests), requests
    wait_series(
        prom,
        f'journal_http_request_duration_seconds_bucket{{namespace="{ns}",route="/api",le="+Inf"}}',
        "latency",
    )
    # Write acknowledgement: a counter by operation, exposed (HELP/TYPE) before its first failure.
    metadata = [
        m for m in prom.api("targets/metadata") if m["metric"].startswith("journal_unconfirmed_writes")
    ]
    assert {m["target"]["pod"] for m in metadata} == names, metadata


def test_the_availability_alert_fires_when_the_api_pods_are_gone_and_resolves(
    real_cluster: ControlPlane, journal: tuple[str, Prometheus]
) -> None:
    ns, prom = journal
    wait_series(prom, f'up{{namespace="{ns}",service="journal-api"}} == 1', "the API up", 2)
    assert alert(prom) is None
    real_cluster.run("kubectl", "-n", ns, "scale", "deployment/journal-api", "--replicas=0")
    kube.wait_for(lambda: True if alert(prom) == "firing" else None, timeout=TIMEOUT, what="the alert firing")
    real_cluster.run("kubectl", "-n", ns, "scale", "deployment/journal-api", "--replicas=2")
    kube.wait_for(lambda: True if alert(prom) is None else None, timeout=TIMEOUT, what="the alert resolved")


POST = """
import sys, httpx
r = httpx.post(sys.argv[1], json={"text": "unconfirmed"}, timeout=30)
print(r.status_code)
"""


def test_a_write_no_replica_confirms_is_counted_with_its_pod(
    real_cluster: ControlPlane, journal: tuple[str, Prometheus]
) -> None:
    """Last in the module: it leaves the release without Redis replicas."""
    ns, prom = journal
    real_cluster.run("kubectl", "-n", ns, "scale", "statefulset/journal-redis-replica", "--replicas=0")
    with real_cluster.client() as client:
        replicas = {"app.kubernetes.io/component": "redis-replica"}
        kube.wait_for(
            lambda: True if not kube.list_objects(client, "v1", "Pod", ns, replicas) else None,
            timeout=TIMEOUT,
            what="the Redis replicas gone",
        )
        [pod, *_] = kube.list_objects(client, "v1", "Pod", ns, {"app.kubernetes.io/component": "frontend"})
    [port] = [
        p["containerPort"]
        for c in pod["spec"]["containers"]
        for p in c.get("ports", [])
        if p["name"] == "http"
    ]
    node = node_of(real_cluster)
    argv = node.in_network(sys.executable, "-c", POST, f"http://{pod['status']['podIP']}:{port}/api")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "503", (done.stdout, done.stderr)
    name = pod["metadata"]["name"]
    [counted] = wait_series(
        prom, f'journal_unconfirmed_writes_total{{namespace="{ns}",pod="{name}"}} >= 1', "the write counted"
    )
    assert counted["metric"]["service"] == "journal-api"
