"""The cluster's log stack (deploy/cluster-services/charts/logs) as helmfile renders it per
environment, and installed on the real control plane: one collector per node, each scoped to its
own node's pods, writing to the store's Service."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp import kube
from support.controlplane import ControlPlane

pytestmark = pytest.mark.helm
REAL = Path(__file__).parents[2] / "deploy" / "cluster-services"
CHART = REAL / "charts" / "logs"


def helmfile_template(cluster: ControlPlane, environment: str) -> list[dict[str, Any]]:
    argv = [str(cluster.bin_dir / "helmfile"), "--file", str(REAL / "helmfile.yaml"), "-e", environment]
    argv += ["--helm-binary", str(cluster.bin_dir / "helm"), "--skip-deps", "-l", "name=logs"]
    argv += ["template", "--skip-tests"]
    out = subprocess.run(argv, env=cluster.env(), capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def by_kind(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    [found] = [o for o in objects if o["kind"] == kind and name in (None, o["metadata"]["name"])]
    return found


def args_of(workload: dict[str, Any]) -> list[str]:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return [str(a) for a in container["args"]]


@pytest.mark.parametrize(
    ("environment", "retention", "claim"), [("dev", "72h", False), ("prod", "720h", True)]
)
def test_the_real_file_renders_the_log_stack_per_environment(
    cluster: ControlPlane, environment: str, retention: str, claim: bool
) -> None:
    objects = helmfile_template(cluster, environment)
    store = by_kind(objects, "StatefulSet")
    assert f"-retentionPeriod={retention}" in args_of(store)
    assert bool(store["spec"].get("volumeClaimTemplates")) is claim
    collector = by_kind(objects, "DaemonSet")
    args = args_of(collector)
    assert "-kubernetesCollector" in args
    assert "-remoteWrite.url=http://victoria-logs.logging.svc:9428/insert/native" in args
    assert "-kubernetesCollector.msgField=event" in args  # the journal's message key
    paths = {v["name"]: v["hostPath"]["path"] for v in collector["spec"]["template"]["spec"]["volumes"]}
    assert paths == {
        "containers": "/var/log/containers",
        "pods": "/var/log/pods",
        "state": "/var/lib/vlagent",
    }
    service = by_kind(objects, "Service", "victoria-logs")
    assert [p["name"] for p in service["spec"]["ports"]] == ["http"]  # what kbp dev logs proxies to
    assert by_kind(objects, "Service", store["spec"]["serviceName"])["spec"]["clusterIP"] == "None"
    policy = by_kind(objects, "NetworkPolicy", "victoria-logs")
    [allowed] = policy["spec"]["ingress"]
    assert allowed["from"] == [{"podSelector": {"matchLabels": collector["spec"]["selector"]["matchLabels"]}}]


def test_only_the_listed_groups_may_read_the_store(cluster: ControlPlane, tmp_path: Path) -> None:
    none = subprocess.run(
        [str(cluster.bin_dir / "helm"), "template", "logs", str(CHART)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "kind: RoleBinding" not in none.stdout
    some = subprocess.run(
        [str(cluster.bin_dir / "helm"), "template", "logs", str(CHART), "--set", "readers.groups={platform}"],
        capture_output=True,
        text=True,
        check=True,
    )
    binding = by_kind([d for d in yaml.safe_load_all(some.stdout) if d], "RoleBinding")
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "platform"}
    ]


def test_installed_it_runs_one_collector_per_node_allowed_to_see_only_pods(cluster: ControlPlane) -> None:
    namespace = "logging-test"
    cluster.run(
        "helm", "upgrade", "--install", "logs", str(CHART), "-n", namespace, "--create-namespace",
        "--wait", "--timeout", "120s",
    )  # fmt: skip
    try:
        with cluster.client() as admin:
            nodes = kube.list_objects(admin, "v1", "Node")
            daemonset = kube.get(admin, "apps/v1", "DaemonSet", "vlagent", namespace)
            assert daemonset["status"]["desiredNumberScheduled"] == len(nodes)
            assert daemonset["status"]["numberReady"] == len(nodes)
            pods = kube.list_objects(
                admin, "v1", "Pod", namespace, labels={"app.kubernetes.io/name": "vlagent"}
            )
            assert sorted(p["spec"]["nodeName"] for p in pods) == sorted(n["metadata"]["name"] for n in nodes)
            sa = f"system:serviceaccount:{namespace}:vlagent"
            assert kube.can(admin, user=sa, verb="watch", resource="pods")
            assert not kube.can(admin, user=sa, verb="get", resource="secrets")
            assert not kube.can(admin, user=sa, verb="get", resource="pods/log")
    finally:
        cluster.run("helm", "uninstall", "logs", "-n", namespace, "--wait", check=False)
        with cluster.client() as admin:
            kube.delete(admin, "v1", "Namespace", namespace)
