"""kbp fleet over three real control planes side by side (`kbp cluster up --name`, kwok nodes).

One services helmfile (a local chart, so no repository is needed) and the real journal chart go to
a canary, a dev and a prod cluster in waves; then drift, a failing canary and a stopped cluster.
The tests run in file order on one fleet: each starts from what the one before left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp import kube
from kbp.cluster import binaries
from kbp.cluster.layout import Layout
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from support.controlplane import NEVER_READY_TAG, leftovers, with_test_stages
from support.namespaces import PAST

pytestmark = pytest.mark.helm
CHARTS = Path(__file__).parents[2] / "fixtures" / "charts"
NAMES = ("canary", "dev", "prod")
TAG = "v1.0.0-abcdef01"
SERVICES = """\
environments:
  dev: {}
---
helmDefaults:
  createNamespace: true
releases:
  - name: notes
    namespace: fleet-svc
    chart: ./charts/svc-notes
    version: 0.3.0
"""

# The same notes, and a worker whose pods never become ready: the canary's services in one test.
BROKEN_SERVICES = (
    SERVICES.replace("./charts/svc-notes", "../services/charts/svc-notes")
    + f"""\
  - name: worker
    namespace: fleet-svc
    chart: ./charts/tiny
    version: 0.1.0
    values:
      - image: registry.example/tiny:{NEVER_READY_TAG}
"""
)


@dataclass(frozen=True)
class Fleet:
    root: Path
    state: Path
    bins: Path

    def kubeconfig(self, name: str) -> Path:
        return self.state / "clusters" / name / "admin.kubeconfig"

    def env(self) -> dict[str, str]:
        home = self.root / "helm-home"
        return {
            **os.environ,
            "KBP_STATE": str(self.state),
            "KBP_FLEET_CACHE": str(self.root / "cache"),
            "KBP_HELM": str(self.bins / "helm"),
            "PATH": f"{self.bins}{os.pathsep}{os.environ['PATH']}",
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
            "COLUMNS": "250",
        }

    def write(self, *, canary_tag: str = TAG, tag: str = TAG, canary_services: str | None = None) -> Path:
        doc = {
            "apiVersion": "kbp.dev/v1",
            "kind": "Fleet",
            "services": {"file": "services/helmfile.yaml", "environment": "dev"},
            "journal": {"tag": tag, "env": "dev", "namespace": "journal",
                        "values": {"exposure": {"kind": "none"}, "networkPolicy": {"enabled": False}}},
            "waves": [{"name": "canary", "selector": "canary=true"}, {"name": "dev", "selector": "env=dev"},
                      {"name": "prod", "selector": "env=prod"}],
            "clusters": [
                {"name": "canary", "kubeconfig": str(self.kubeconfig("canary")),
                 "labels": {"env": "dev", "canary": "true"},
                 "journal": {"tag": canary_tag, "values": {"api": {"replicas": 3}}},
                 **({"services": {"file": canary_services}} if canary_services else {})},
                {"name": "dev", "kubeconfig": str(self.kubeconfig("dev")), "labels": {"env": "dev"}},
                {"name": "prod", "kubeconfig": str(self.kubeconfig("prod")), "labels": {"env": "prod"}},
            ],
        }  # fmt: skip
        path = self.root / "fleet.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    def kbp(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "kbp", *args]
        return subprocess.run(
            argv, env=self.env(), cwd=self.root, capture_output=True, text=True, timeout=timeout, check=False
        )

    def fleet(self, verb: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.kbp("fleet", verb, "--fleet-file", str(self.root / "fleet.yaml"), *args)

    def helm(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bins / "helm"), *args, "--kubeconfig", str(self.kubeconfig(name))]
        result = subprocess.run(
            argv, env=self.env(), capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        return result

    def revisions(self) -> dict[str, dict[str, int]]:
        out = {}
        for name in NAMES:
            rows = json.loads(self.helm(name, "list", "-A", "-o", "json").stdout)
            out[name] = {f"{r['namespace']}/{r['name']}": int(r["revision"]) for r in rows}
        return out

    def namespace(
        self, cluster: str, name: str, *, ttl: str | None = None, expires: str | None = None
    ) -> dict[str, Any] | None:
        """Make the kbp namespace `name` on `cluster` with a lifetime, or (with none) read it."""
        with kube.connect(self.kubeconfig(cluster)) as client:
            if ttl or expires:
                spec = NamespaceSpec(
                    name=name, owner="tester", team="qa", purpose="test", ttl=ttl, expires=expires
                )
                kube.create(client, namespace_manifest(spec, version=catalog.pod_security_version(client)))
            return kube.find(client, "v1", "Namespace", name)

    def api_deployment(self, name: str) -> dict[str, Any] | None:
        with kube.connect(self.kubeconfig(name)) as client:
            return kube.find(client, "apps/v1", "Deployment", "journal-api", "journal")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("fleet")
    bins = with_test_stages(binaries.resolve(), root / "bin")
    f = Fleet(root, root / "state", bins)
    services = root / "services"
    (services / "charts").mkdir(parents=True)
    shutil.copytree(CHARTS / "svc-notes", services / "charts" / "svc-notes")
    (services / "helmfile.yaml").write_text(SERVICES)
    broken = root / "services-broken"
    (broken / "charts").mkdir(parents=True)
    shutil.copytree(CHARTS / "tiny", broken / "charts" / "tiny")
    (broken / "helmfile.yaml").write_text(BROKEN_SERVICES)
    f.write()
    try:
        with ThreadPoolExecutor(3) as pool:  # three control planes start at once
            ups = list(
                pool.map(
                    lambda n: f.kbp("cluster", "up", "--name", n, "--bin-dir", str(bins), "--timeout", "180"),
                    NAMES,
                )
            )
        for name, up in zip(NAMES, ups, strict=True):
            assert up.returncode == 0, f"cluster {name}: {up.stderr}"
        yield f
    finally:
        downs = [f.kbp("cluster", "down", "--name", n) for n in NAMES]
        left = {n: leftovers(Layout.at(f.state / "clusters" / n)) for n in NAMES}
        assert all(d.returncode == 0 for d in downs), [d.stderr for d in downs]
        assert not any(left.values()), f"still running: {left}"


def test_apply_rolls_out_in_waves_with_each_clusters_values(fleet: Fleet) -> None:
    result = fleet.fleet("apply", "-o", "json", "--timeout", "180")
    assert result.returncode == 0, result.stdout + result.stderr
    waves = [line for line in result.stderr.splitlines() if line.startswith("wave ")]
    assert waves == ["wave canary: canary", "wave dev: dev", "wave prod: prod"]
    outcomes = {i["cluster"]: i["outcome"] for i in json.loads(result.stdout)["items"]}
    assert outcomes == dict.fromkeys(NAMES, "healthy")
    replicas = {n: (fleet.api_deployment(n) or {})["spec"]["replicas"] for n in NAMES}
    assert replicas == {"canary": 3, "dev": 2, "prod": 2}, "the canary's values reach the canary only"
    for name in NAMES:
        assert fleet.revisions()[name]["fleet-svc/notes"] == 1


def test_a_second_apply_changes_nothing(fleet: Fleet) -> None:
    before = fleet.revisions()
    result = fleet.fleet("apply", "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    items = json.loads(result.stdout)["items"]
    assert {(i["services"], i["journal"], i["detail"]) for i in items} == {(None, "unchanged", "no change")}
    assert fleet.revisions() == before


def test_status_shows_every_cluster_live_and_in_sync(fleet: Fleet) -> None:
    result = fleet.fleet("status", "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    items = {i["cluster"]: i for i in json.loads(result.stdout)["items"]}
    assert set(items) == set(NAMES)
    for item in items.values():
        assert item["reachable"]
        assert item["healthy"]
        releases = {r["release"]: r for r in item["releases"]}
        assert releases["fleet-svc/notes"]["state"] == "in-sync"
        assert releases["journal/journal"]["deployed"] == TAG
        assert releases["journal/journal"]["rollout"] == "healthy"
        assert item["configVersion"] == 1
    table = fleet.fleet("status")
    assert table.returncode == 0
    assert sum(line.startswith(("canary ", "dev ", "prod ")) for line in table.stdout.splitlines()) == 6


def test_one_command_onboards_a_developer_to_every_dev_cluster(fleet: Fleet) -> None:
    fleet_file = ["--fleet-file", str(fleet.root / "fleet.yaml")]
    added = fleet.kbp("user", "add", "alice", "--team", "payments", "--cert-ttl", "2d", "--ttl", "3d",
                      "--fleet", "env=dev", *fleet_file, "-o", "json")  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    assert {i["cluster"] for i in json.loads(added.stdout)["items"]} == {"canary", "dev"}
    for name in ("canary", "dev"):
        whoami = subprocess.run(
            [str(fleet.bins / "kubectl"), "auth", "whoami", "-o", "json",
             "--kubeconfig", str(fleet.root / f"alice-{name}.kubeconfig")],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert whoami.returncode == 0, whoami.stderr
        assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == "alice"
    assert not (fleet.root / "alice-prod.kubeconfig").exists()

    listed = fleet.kbp("ns", "list", "--fleet", "", *fleet_file, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    where = {i["cluster"] for i in json.loads(listed.stdout)["items"] if i["name"] == "dev-alice"}
    assert where == {"canary", "dev"}

    status = json.loads(fleet.fleet("status", "-o", "json").stdout)["items"]
    expiring = {i["cluster"]: (i["expiringUsers"], i["expiringNamespaces"]) for i in status}
    assert expiring["prod"] == ([], [])
    for name in ("canary", "dev"):
        users, namespaces = expiring[name]
        assert len(users) == 1
        assert users[0].startswith("user alice in dev-alice: certificate ")
        assert len(namespaces) == 1
        assert namespaces[0].startswith("namespace dev-alice: ")


def test_reap_through_the_fleet_acts_on_the_picked_clusters_only(fleet: Fleet) -> None:
    for name in NAMES:
        fleet.namespace(name, "reap-old", expires=PAST)
    fleet.namespace("dev", "reap-young", ttl="7d")
    fleet_file = ["--fleet-file", str(fleet.root / "fleet.yaml")]
    scope = ["--protect-regex", "(?!reap-).*", "--warn-before", "0s", "-o", "json"]

    listed = fleet.kbp("ns", "list", "--fleet", "env=dev", *fleet_file, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    rows = [(i["cluster"], i["name"], i["left"]) for i in json.loads(listed.stdout)["items"]]
    mine = [r for r in rows if r[1].startswith("reap-")]
    assert mine[:2] == [("canary", "reap-old", "expired"), ("dev", "reap-old", "expired")], "soonest first"
    assert mine[2][:2] == ("dev", "reap-young")
    assert len(mine) == 3, "prod is not picked by env=dev"

    dry = fleet.kbp("reap", "--fleet", "", *fleet_file, *scope)
    assert dry.returncode == 0, dry.stderr
    results = {(i["cluster"], i["name"]): i["result"] for i in json.loads(dry.stdout)["items"]}
    assert {k: v for k, v in results.items() if k[1].startswith("reap-")} == {
        (n, "reap-old"): "would-delete" for n in NAMES
    }, "reap-young is not due: a pass leaves it out"
    assert [line for line in dry.stderr.splitlines() if line.startswith("cluster ")] == [
        f"cluster {n}:" for n in NAMES
    ]

    applied = fleet.kbp("reap", "--fleet", "env=prod", "--apply", *fleet_file, *scope)
    assert applied.returncode == 0, applied.stderr
    items = json.loads(applied.stdout)["items"]
    assert {(i["cluster"], i["result"]) for i in items if i["name"] == "reap-old"} == {("prod", "deleted")}
    gone = fleet.namespace("prod", "reap-old")
    assert gone is None or gone["metadata"].get("deletionTimestamp")
    for name in ("canary", "dev"):
        kept = fleet.namespace(name, "reap-old")
        assert kept is not None
        assert not kept["metadata"].get("deletionTimestamp"), f"{name} was reaped"


def test_drift_on_one_cluster_is_reported_and_corrected_by_the_next_apply(fleet: Fleet) -> None:
    by_hand = fleet.root / "by-hand" / "svc-notes"
    shutil.copytree(CHARTS / "svc-notes", by_hand)
    chart_yaml = by_hand / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.3.0", "version: 0.4.0"))
    fleet.helm("dev", "upgrade", "notes", str(by_hand), "-n", "fleet-svc")

    drifted = fleet.fleet("status", "-o", "json")
    assert drifted.returncode == 1
    states = {
        i["cluster"]: {r["release"]: r["state"] for r in i["releases"]}["fleet-svc/notes"]
        for i in json.loads(drifted.stdout)["items"]
    }
    assert states == {"canary": "in-sync", "dev": "drifted", "prod": "in-sync"}
    assert "dev" in drifted.stderr
    # The fleet's verdict is `cluster-services status`'s on that cluster, reason and all.
    (notes,) = [
        r for i in json.loads(drifted.stdout)["items"] if i["cluster"] == "dev" for r in i["releases"]
        if r["release"] == "fleet-svc/notes"
    ]  # fmt: skip
    one = fleet.kbp("cluster-services", "status", "-f", str(fleet.root / "services"), "-e", "dev",
                    "--kubeconfig", str(fleet.kubeconfig("dev")), "-o", "json")  # fmt: skip
    assert one.returncode == 1, one.stderr
    (row,) = [i for i in json.loads(one.stdout)["items"] if i["name"] == "notes"]
    assert [row[k] for k in ("state", "deployed", "reason")] == [
        notes[k] for k in ("state", "deployed", "reason")
    ]
    assert row["reason"] == "version 0.4.0 deployed, 0.3.0 pinned"

    fixed = fleet.fleet("apply", "-o", "json")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    services = {i["cluster"]: i["services"] for i in json.loads(fixed.stdout)["items"]}
    assert services == {"canary": None, "dev": ["fleet-svc/notes"], "prod": None}
    assert fleet.fleet("status").returncode == 0


def test_dry_run_shows_each_clusters_diff_and_changes_nothing(fleet: Fleet) -> None:
    before = fleet.revisions()
    fleet.write(tag="v1.0.1-abcdef02", canary_tag="v1.0.1-abcdef02")
    try:
        result = fleet.fleet("apply", "--dry-run")
    finally:
        fleet.write()
    assert result.returncode == 0, result.stdout + result.stderr
    sections = {part.split(" ===", 1)[0]: part for part in result.stdout.split("=== cluster ")[1:]}
    assert set(sections) == set(NAMES), result.stdout
    for name, diff in sections.items():
        assert any(
            line.startswith("+") and "journal-api:v1.0.1-abcdef02" in line for line in diff.splitlines()
        ), f"{name}: {diff}"
    assert fleet.revisions() == before


def test_a_service_whose_pods_never_become_ready_fails_its_wave(fleet: Fleet) -> None:
    fleet.write(canary_services="services-broken/helmfile.yaml")
    try:
        result = fleet.fleet("apply", "-l", "canary=true", "-o", "json", "--timeout", "5")
    finally:
        fleet.write()
        fleet.helm("canary", "uninstall", "worker", "-n", "fleet-svc", "--ignore-not-found")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "wave canary failed" in result.stderr
    (canary,) = json.loads(result.stdout)["items"]
    assert canary["outcome"] == "failed"
    assert canary["services"] == ["fleet-svc/worker"], "helm installed it: only its pods are not ready"
    assert "fleet-svc/worker deployment/worker-tiny not ready" in canary["detail"]


def test_a_failing_canary_stops_the_rollout_before_the_next_wave(fleet: Fleet) -> None:
    fleet.write(tag="v1.0.2-abcdef03", canary_tag=NEVER_READY_TAG)
    try:
        result = fleet.fleet("apply", "-o", "json", "--timeout", "20")
    finally:
        fleet.write()
    assert result.returncode == 1
    assert "wave canary failed; later waves not started" in result.stderr
    items = {i["cluster"]: i for i in json.loads(result.stdout)["items"]}
    assert items["canary"]["outcome"] == "failed"
    assert "not ready" in items["canary"]["detail"]
    assert "Readiness probe failed" in items["canary"]["detail"]
    assert (items["dev"]["outcome"], items["prod"]["outcome"]) == ("not-started", "not-started")
    for name in ("dev", "prod"):
        image = (fleet.api_deployment(name) or {})["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith(f":{TAG}"), f"{name} was touched: {image}"


def test_status_shows_a_stopped_cluster_as_unreachable_with_its_last_answers_age(fleet: Fleet) -> None:
    assert fleet.fleet("status", "-o", "json").returncode == 1, "the canary still runs the never-ready tag"
    down = fleet.kbp("cluster", "down", "--name", "prod")
    assert down.returncode == 0, down.stderr
    result = fleet.fleet("status", "-o", "json")
    assert result.returncode == 1
    items = {i["cluster"]: i for i in json.loads(result.stdout)["items"]}
    prod = items["prod"]
    assert not prod["reachable"]
    assert not prod["healthy"]
    assert prod["stale"]
    assert prod["ageSeconds"] is not None
    assert prod["answer"].startswith("unreachable (last good answer ")
    assert {r["release"] for r in prod["releases"]} == {"fleet-svc/notes", "journal/journal"}
    assert items["dev"]["reachable"]
    assert items["dev"]["healthy"]
    table = fleet.fleet("status")
    prod_rows = [line for line in table.stdout.splitlines() if line.startswith("prod ")]
    assert len(prod_rows) == 2
    assert all("unreachable (last good answer" in r and "healthy" not in r for r in prod_rows)


def test_cluster_wide_commands_name_the_cluster_that_failed(fleet: Fleet) -> None:
    fleet_file = ["--fleet-file", str(fleet.root / "fleet.yaml")]  # prod is stopped (the test before)
    added = fleet.kbp("user", "add", "bob", "--team", "payments", "--fleet", "", *fleet_file, "-o", "json")
    assert added.returncode == 1
    assert "error: cluster prod: " in added.stderr
    assert "1 of 3 clusters failed: prod" in added.stderr
    assert {i["cluster"] for i in json.loads(added.stdout)["items"]} == {"canary", "dev"}
    assert (fleet.root / "bob-dev.kubeconfig").exists()

    for argv in (["ns", "list"], ["reap"]):
        result = fleet.kbp(*argv, "--fleet", "", *fleet_file, "-o", "json")
        assert result.returncode == 1, argv
        assert "error: cluster prod: " in result.stderr, result.stderr
        assert {i["cluster"] for i in json.loads(result.stdout)["items"]} == {"canary", "dev"}
