"""A real Prometheus finds exactly the API pods through the chart's ServiceMonitor selection, on the
control plane, and the chart's availability alert fires for them. kwok pods have no processes, so
every scrape fails: the scrape itself, the metrics and the alert resolving need the real node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp import kube
from support.charts import CHART, DEV
from support.controlplane import ControlPlane
from support.prometheus import Prometheus, prometheus, scrape_config

pytestmark = pytest.mark.helm
NS = "journal-scrape"
SETS = (
    "image.api.tag=v0.1.0-abcdef1",
    "image.fileserver.tag=v0.1.0-abcdef1",
    "exposure.kind=none",
    "monitoring.serviceMonitor.interval=1s",
    "monitoring.serviceMonitor.scrapeTimeout=1s",
    "monitoring.prometheusRule.availability.for=3s",
)
OPERATOR = (
    "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor",
    "--api-versions", "monitoring.coreos.com/v1/PrometheusRule",
)  # fmt: skip


def flags() -> list[str]:
    return ["-f", str(DEV), *(f for s in SETS for f in ("--set", s))]


def rendered(cluster: ControlPlane, kind: str) -> dict[str, Any]:
    out = cluster.run("helm", "template", "journal", str(CHART), "-n", NS, *flags(), *OPERATOR).stdout
    found: list[dict[str, Any]] = [d for d in yaml.safe_load_all(out) if d and d["kind"] == kind]
    assert len(found) == 1, f"{kind} rendered {len(found)} times"
    return found[0]


@pytest.fixture(scope="module")
def scraping(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    cluster.run("helm", "install", "journal", str(CHART), "-n", NS, "--create-namespace", *flags(), "--wait")
    monitor = rendered(cluster, "ServiceMonitor")
    rules = rendered(cluster, "PrometheusRule")["spec"]
    try:
        with prometheus(
            tmp_path_factory.mktemp("prom"), [scrape_config(monitor, cluster.kubeconfig)], rules
        ) as p:
            yield p
    finally:
        cluster.run("helm", "uninstall", "journal", "-n", NS, "--wait", check=False)
        with cluster.client() as admin:
            kube.delete(admin, "v1", "Namespace", NS)


def test_the_service_monitor_selects_exactly_the_api_pods(
    cluster: ControlPlane, scraping: Prometheus
) -> None:
    with cluster.client() as admin:
        api_pods = kube.list_objects(
            admin, "v1", "Pod", NS, labels={"app.kubernetes.io/component": "frontend"}
        )
        ips = {p["metadata"]["name"]: p["status"]["podIP"] for p in api_pods}
    assert len(ips) == 2
    targets: list[dict[str, Any]] = []

    def discovered() -> bool | None:
        targets[:] = scraping.api("targets", state="active")["activeTargets"]
        return True if len(targets) == len(ips) else None

    kube.wait_for(discovered, timeout=60, what=f"Prometheus to discover {len(ips)} targets; has {targets}")
    by_pod = {t["labels"]["pod"]: t for t in targets}
    assert set(by_pod) == set(ips)  # not the fileserver's, not Redis'
    for pod, target in by_pod.items():
        assert target["labels"]["namespace"] == NS
        assert target["labels"]["service"] == "journal-api"
        assert target["labels"]["container"] == "api"
        assert target["scrapeUrl"] == f"http://{ips[pod]}:8080/metrics"


def test_the_availability_alert_fires_when_no_api_pod_answers(scraping: Prometheus, tmp_path: Path) -> None:
    groups = scraping.api("rules")["groups"]
    assert {r["name"] for g in groups for r in g["rules"]} >= {
        "JournalAPIUnavailable",
        "JournalWritesUnacknowledged",
    }
    firing: list[dict[str, Any]] = []

    def fired() -> bool | None:
        alerts = scraping.api("alerts")["alerts"]
        firing[:] = [
            a
            for a in alerts
            if a["labels"]["alertname"] == "JournalAPIUnavailable" and a["state"] == "firing"
        ]
        return True if firing else None

    kube.wait_for(fired, timeout=60, what="JournalAPIUnavailable to fire")
    assert firing[0]["labels"]["namespace"] == NS
    assert firing[0]["labels"]["severity"] == "critical"
