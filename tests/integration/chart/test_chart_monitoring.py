"""The chart's ServiceMonitor, PrometheusRule and Grafana dashboard, rendered by the real helm 4; the
alert rules checked and unit-tested by the real promtool (`promtool test rules`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.charts import CHART, PROD, Helm, one
from support.observability import bin_dir

pytestmark = pytest.mark.helm
PROMTOOL_TESTS = Path(__file__).parent / "promtool"
OPERATOR_APIS = ("monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PrometheusRule")
ALERTS = {
    "JournalAPIUnavailable",
    "JournalHighErrorRatio",
    "JournalHighLatencyP99",
    "JournalWritesUnacknowledged",
    "JournalReplicaLagging",
}


def render(helm: Helm, *args: str, operator: bool = True, release: str = "journal") -> list[dict[str, Any]]:
    cmd = ["template", release, str(CHART), "--namespace", "journal", *args]
    for api in OPERATOR_APIS if operator else ():
        cmd += ["--api-versions", api]
    return [doc for doc in yaml.safe_load_all(helm.run(*cmd).stdout) if doc]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objects}


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir() / "promtool"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_service_monitor_selects_the_api_service_and_its_named_port(helm: Helm) -> None:
    objects = render(helm)
    monitor = one(objects, "ServiceMonitor", "journal-api")
    service = one(objects, "Service", "journal-api")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert selector == service["spec"]["selector"]  # the API's labels, not the fileserver's
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["journal"]}


def test_operator_objects_render_only_where_the_cluster_serves_their_crds(helm: Helm) -> None:
    """A cluster without the Prometheus Operator (kbp cluster up) still installs the chart."""
    without = kinds(render(helm, operator=False))
    assert "ServiceMonitor" not in without
    assert "PrometheusRule" not in without
    assert {"ServiceMonitor", "PrometheusRule"} <= kinds(render(helm))
    off = render(
        helm,
        "--set",
        "monitoring.serviceMonitor.enabled=false",
        "--set",
        "monitoring.prometheusRule.enabled=false",
    )
    assert {"ServiceMonitor", "PrometheusRule"}.isdisjoint(kinds(off))


def test_rules_pass_promtool_check_and_their_unit_tests(helm: Helm, tmp_path: Path) -> None:
    rule = one(render(helm), "PrometheusRule", "journal")
    assert {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]} == ALERTS
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule["spec"]))
    for test in PROMTOOL_TESTS.glob("*.test.yaml"):
        shutil.copy(test, tmp_path)
    checked = promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", *sorted(p.name for p in tmp_path.glob("*.test.yaml")), cwd=tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_rule_thresholds_and_for_come_from_values(helm: Helm) -> None:
    rule = one(
        render(
            helm,
            "--set",
            "monitoring.prometheusRule.availability.for=30s",
            "--set-json",
            "monitoring.prometheusRule.errorRatio.threshold=0.2",
        ),
        "PrometheusRule",
        "journal",
    )
    rules = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert rules["JournalAPIUnavailable"]["for"] == "30s"
    assert rules["JournalHighErrorRatio"]["expr"].rstrip().endswith("> 0.2")


def test_rules_select_only_their_own_release(helm: Helm) -> None:
    rule = one(render(helm, release="blue"), "PrometheusRule", "blue-journal")
    for group in rule["spec"]["groups"]:
        for r in group["rules"]:
            assert 'namespace="journal",service="blue-journal-api"' in r["expr"], r["alert"]
            assert r["labels"]["service"] == "blue-journal-api"


def test_the_schema_refuses_a_bad_for_or_ratio(helm: Helm) -> None:
    for assignment, key in [
        (
            "monitoring.prometheusRule.availability.for=2 minutes",
            "/monitoring/prometheusRule/availability/for",
        ),
        (
            "monitoring.prometheusRule.errorRatio.threshold=5",
            "/monitoring/prometheusRule/errorRatio/threshold",
        ),
    ]:
        result = helm.run("template", "j", str(CHART), "--set", assignment, check=False)
        assert result.returncode != 0
        assert key in result.stderr, result.stderr


def test_dashboard_is_a_sidecar_configmap_of_this_release_queries(helm: Helm) -> None:
    objects = render(helm, "--values", str(PROD), operator=False, release="blue")
    config_map = one(objects, "ConfigMap", "blue-journal-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["journal.json"])
    assert len(dashboard["uid"]) <= 40
    assert "$" not in dashboard["uid"]
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert exprs
    assert all('namespace="journal",service="blue-journal-api"' in e for e in exprs)
    other = json.loads(
        one(render(helm, operator=False), "ConfigMap", "journal-dashboard")["data"]["journal.json"]
    )
    assert other["uid"] != dashboard["uid"]
