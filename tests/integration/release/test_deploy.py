"""kbp deploy and kbp config against the real control plane, with the real chart and helm 4."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from support.controlplane import NEVER_READY_TAG, ControlPlane

pytestmark = pytest.mark.helm
TAG = "v1.0.0-abcdef01"
TIMEOUT = 120.0


@dataclass(frozen=True)
class Deployed:
    cluster: ControlPlane
    namespace: str
    client: kube.KubeClient

    def kbp(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**self.cluster.env(), "KBP_HELM": str(self.cluster.bin_dir / "helm")}
        result = subprocess.run(
            [sys.executable, "-m", "kbp", *args, "-n", self.namespace],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, f"kbp {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result

    def deployment(self) -> dict[str, Any]:
        return kube.get(self.client, "apps/v1", "Deployment", "journal-api", self.namespace)

    def live_configmap(self) -> str:
        volumes = self.deployment()["spec"]["template"]["spec"]["volumes"]
        return str(next(v for v in volumes if v["name"] == "config")["configMap"]["name"])

    def replicasets(self) -> dict[str, dict[str, Any]]:
        found = kube.list_objects(
            self.client, "apps/v1", "ReplicaSet", self.namespace, {"app.kubernetes.io/component": "frontend"}
        )
        return {rs["metadata"]["name"]: rs for rs in found}

    def config_versions(self) -> list[str]:
        found = kube.list_objects(self.client, "v1", "ConfigMap", self.namespace)
        return sorted(
            (cm["metadata"]["name"] for cm in found if cm["metadata"]["name"].startswith("journal-config-v")),
            key=lambda n: int(n.rsplit("-v", 1)[1]),
        )


@pytest.fixture(scope="module")
def gateway_crds(cluster: ControlPlane) -> None:
    # The dev values expose the journal with an HTTPRoute: the Gateway API CRDs must exist.
    cluster.run("kubectl", "apply", "--server-side", "-f", str(cluster.bin_dir / "gateway-api-crds.yaml"))
    cluster.run("kubectl", "wait", "--for=condition=Established", "crd/httproutes.gateway.networking.k8s.io")


@pytest.fixture
def deployed(cluster: ControlPlane, gateway_crds: None) -> Iterator[Deployed]:
    """The journal deployed with the dev values into a fresh namespace, deleted afterwards."""
    name = f"rel-{secrets.token_hex(3)}"
    with cluster.client() as client:
        kube.apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        kube.wait_for(
            lambda: kube.find(client, "v1", "ServiceAccount", "default", name),
            timeout=TIMEOUT,
            what="default SA",
        )
        target = Deployed(cluster, name, client)
        target.kbp("deploy", "--env", "dev", "--tag", TAG)
        yield target
        kube.delete(client, "v1", "Namespace", name)


def test_deploy_brings_the_release_up_and_again_changes_nothing(deployed: Deployed) -> None:
    deployment = deployed.deployment()
    assert deployment["status"]["availableReplicas"] == 2
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{TAG}")
    before = set(deployed.replicasets())

    again = deployed.kbp("deploy", "--env", "dev", "--tag", TAG, "-o", "json")
    rows = {row["object"]: row for row in json.loads(again.stdout)["items"]}
    assert rows["deployment/journal-api"]["ready"] == "2/2"
    assert rows["deployment/journal-api"]["images"] == [f"journal-api:{TAG}"]
    for ref, row in rows.items():
        ready, desired = row["ready"].split("/")
        assert ready == desired != "0", f"{ref}: {row['ready']}"
    assert len(rows) == 4, "api, fileserver, the Redis primary and its replica"
    assert rows["deployment/journal-api"]["url"] == "https://journal.dev.localhost/"
    assert set(deployed.replicasets()) == before, "the same tag again must not roll anything"


def test_dry_run_shows_the_change_and_makes_none(deployed: Deployed) -> None:
    generation = deployed.deployment()["metadata"]["generation"]
    result = deployed.kbp("deploy", "--env", "dev", "--tag", "v1.0.1-abcdef02", "--dry-run")
    assert "Deployment/journal-api" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("-") and line.endswith(f"journal-api:{TAG}") for line in lines), result.stdout
    assert any(line.startswith("+") and line.endswith("journal-api:v1.0.1-abcdef02") for line in lines)
    assert deployed.deployment()["metadata"]["generation"] == generation
    same = deployed.kbp("deploy", "--env", "dev", "--tag", TAG, "--dry-run")
    assert "no change" in same.stdout


def test_config_set_rolls_the_api_onto_v2_and_deploy_keeps_it(deployed: Deployed, tmp_path: Path) -> None:
    before = set(deployed.replicasets())
    result = deployed.kbp("config", "set", "entries=20", "log_level=warning")
    assert result.stdout.strip() == "journal-config-v2"

    assert deployed.live_configmap() == "journal-config-v2"
    cm = kube.get(deployed.client, "v1", "ConfigMap", "journal-config-v2", deployed.namespace)
    assert cm["immutable"] is True
    assert (cm["data"]["entries"], cm["data"]["log_level"]) == ("20", "warning")
    new = [rs for name, rs in deployed.replicasets().items() if name not in before]
    assert len(new) == 1, "one new ReplicaSet rolls the API"
    mounts = {v["name"]: v for v in new[0]["spec"]["template"]["spec"]["volumes"]}
    assert mounts["config"]["configMap"]["name"] == "journal-config-v2"
    pods = kube.list_objects(
        deployed.client, "v1", "Pod", deployed.namespace, {"app.kubernetes.io/component": "frontend"}
    )
    mounted = {
        next(v for v in p["spec"]["volumes"] if v["name"] == "config")["configMap"]["name"]
        for p in pods
        if p["metadata"].get("deletionTimestamp") is None
    }
    assert mounted == {"journal-config-v2"}

    # The next deploy reads the live version and renders it: the chart does not undo `config set`.
    # Settings in values files (here one the live version lacks) do not touch the live, immutable version.
    rolled = set(deployed.replicasets())
    extra = tmp_path / "extra.yaml"
    extra.write_text("config:\n  settings:\n    replica_acks: 0\n    entries: 99\n")
    deployed.kbp("deploy", "--env", "dev", "--tag", TAG, "-f", str(extra))
    assert deployed.live_configmap() == "journal-config-v2"
    assert set(deployed.replicasets()) == rolled
    show = json.loads(deployed.kbp("config", "show", "-o", "json").stdout)
    assert {i["key"]: i["value"] for i in show["items"]}["entries"] == "20"
    # Setting the same values again changes nothing.
    assert deployed.kbp("config", "set", "entries=20").stdout.strip() == "journal-config-v2"
    assert deployed.config_versions() == ["journal-config-v1", "journal-config-v2"]


def test_rollback_points_back_without_creating_and_rollout_undo_finds_its_configmap(
    deployed: Deployed,
) -> None:
    deployed.kbp("config", "set", "entries=20")
    assert deployed.kbp("config", "rollback").stdout.strip() == "journal-config-v1"
    assert deployed.live_configmap() == "journal-config-v1"
    assert deployed.config_versions() == ["journal-config-v1", "journal-config-v2"], (
        "rollback creates nothing"
    )

    # A set after the rollback moves past every version; retention 1 prunes all but what ReplicaSets need.
    assert (
        deployed.kbp("config", "set", "entries=30", "--retention", "1").stdout.strip() == "journal-config-v3"
    )
    history = json.loads(deployed.kbp("config", "history", "-o", "json").stdout)["items"]
    assert [(h["name"], h["live"]) for h in history][-1] == ("journal-config-v3", True)
    deployed.cluster.run("kubectl", "rollout", "undo", "deployment/journal-api", "-n", deployed.namespace)
    deployed.cluster.run(
        "kubectl", "rollout", "status", "deployment/journal-api", "-n", deployed.namespace, "--timeout=120s"
    )
    undone = deployed.live_configmap()
    assert undone != "journal-config-v3"
    assert undone in deployed.config_versions(), "rollout undo must find the ConfigMap its ReplicaSet mounts"


def test_retention_keeps_the_newest_and_what_replicasets_still_need(deployed: Deployed) -> None:
    # Keep 4 old ReplicaSets, fewer than the versions 6 sets make, so both rules show.
    deployed.cluster.run(
        "kubectl",
        "patch",
        "deployment/journal-api",
        "-n",
        deployed.namespace,
        "-p",
        '{"spec":{"revisionHistoryLimit":4}}',
    )
    for entries in range(11, 17):
        deployed.kbp("config", "set", f"entries={entries}", "--retention", "3")
    # Live v7; retention 3 keeps v5-v7; ReplicaSet revisions 7..3 (current + 4 old) keep v3-v7.
    assert deployed.config_versions() == [f"journal-config-v{n}" for n in range(3, 8)]


def test_a_bad_key_or_value_is_refused_before_any_api_call(deployed: Deployed, tmp_path: Path) -> None:
    versions, generation = deployed.config_versions(), deployed.deployment()["metadata"]["generation"]
    for pair, named in (
        ("entires=20", "'entires'"),
        ("entries=1000", "entries: 1000"),
        ("log_level=loud", "'loud'"),
    ):
        result = deployed.kbp("config", "set", pair, check=False)
        assert result.returncode == 2, result.stderr
        assert named in result.stderr
    assert deployed.config_versions() == versions
    assert deployed.deployment()["metadata"]["generation"] == generation

    # Against a server that does not exist, the refusal is the same: nothing was asked of the API.
    unreachable = tmp_path / "unreachable.kubeconfig"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
        "clusters: [{name: x, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: x, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\n"
    )
    result = deployed.kbp("config", "set", "entires=20", "--kubeconfig", str(unreachable), check=False)
    assert result.returncode == 2
    assert "unknown setting 'entires'" in result.stderr


def test_a_rollout_that_never_becomes_ready_fails_naming_it_and_the_old_pods_serve(
    deployed: Deployed,
) -> None:
    old = {name for name, rs in deployed.replicasets().items() if rs["status"].get("availableReplicas") == 2}
    result = deployed.kbp("deploy", "--env", "dev", "--tag", NEVER_READY_TAG, "--timeout", "20", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "deployment/journal-api not ready: Unhealthy: Readiness probe failed" in result.stderr
    assert "deployment/journal-fileserver not ready" in result.stderr
    assert f"--tag {TAG}" in result.stderr, "the hint names the tag to return to"
    still = deployed.replicasets()
    assert old, "the first deploy left an available ReplicaSet"
    for name in old:
        assert still[name]["status"].get("availableReplicas") == 2, f"{name} must keep serving"
