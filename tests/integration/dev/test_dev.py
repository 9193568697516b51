"""kbp dev: an onboarded developer's own kubeconfig deploys the journal into their namespace with one
command, on the real control plane and kwok nodes; `dev down` removes it. An admin gets a new
namespace with kbp's metadata and TTL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kbp import kube, metadata
from kbp.namespaces import isolation
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique

pytestmark = pytest.mark.helm
TAG = "v1.0.0-abcdef01"


def kbp(
    cluster: ControlPlane, kubeconfig: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {**cluster.env(), "KBP_HELM": str(cluster.bin_dir / "helm")}
    env.pop("KUBECONFIG")  # only the kubeconfig given here
    result = subprocess.run(
        [sys.executable, "-m", "kbp", "dev", *args, "--kubeconfig", str(kubeconfig)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"kbp dev {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dana(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    return onboard(cluster, tmp_path_factory.mktemp("dana"), unique("dana"))


def test_an_onboarded_developer_deploys_their_own_copy_and_removes_it(
    cluster: ControlPlane, dana: Onboarded
) -> None:
    up = kbp(cluster, dana.kubeconfig, "up", "--tag", TAG, "--timeout", "120")
    assert f"namespace {dana.namespace}: reused" in up.stderr
    assert f"kubectl -n {dana.namespace} port-forward svc/journal-fileserver" in up.stdout
    with cluster.client() as admin:
        deployments = kube.list_objects(admin, "apps/v1", "Deployment", dana.namespace)
        assert {d["metadata"]["name"] for d in deployments} == {"journal-api", "journal-fileserver"}
        for deployment in deployments:
            assert deployment["status"].get("readyReplicas") == deployment["spec"]["replicas"]
        pods = kube.list_objects(admin, "v1", "Pod", dana.namespace)
        nodes = {n["metadata"]["name"]: n for n in kube.list_objects(admin, "v1", "Node")}
        for pod in pods:
            assert nodes[pod["spec"]["nodeName"]]["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    status = json.loads(kbp(cluster, dana.kubeconfig, "status", "-o", "json").stdout)
    ready = {item["object"]: item["ready"] for item in status["items"]}
    assert ready["deployment/journal-api"] == "2/2"
    assert ready["statefulset/journal-redis"] == "1/1"

    again = kbp(cluster, dana.kubeconfig, "up", "--tag", TAG, "--timeout", "120")
    assert again.returncode == 0

    refused = kbp(cluster, dana.kubeconfig, "down", "--delete-namespace", check=False)
    assert refused.returncode == 1
    assert "not yours to delete" in refused.stderr
    with cluster.client() as admin:
        assert kube.list_objects(admin, "apps/v1", "Deployment", dana.namespace) == []
        assert kube.find(admin, "v1", "Namespace", dana.namespace) is not None
    gone = kbp(cluster, dana.kubeconfig, "status", check=False)
    assert gone.returncode == 1
    assert "run `kbp dev up`" in gone.stderr


def test_an_onboarded_developer_exposes_their_copy_on_a_host_of_their_own(
    cluster: ControlPlane, dana: Onboarded
) -> None:
    """`kbp cluster up` installs the Gateway API, the edge Gateway and the role aggregated to `edit`,
    so the HTTPRoute is the developer's to create, attached to that Gateway, on their own host."""
    up = kbp(cluster, dana.kubeconfig, "up", "--tag", TAG, "--expose", "httproute", "--timeout", "120")
    host = f"journal-{dana.namespace}.dev.localhost"
    assert f"open https://{host}/" in up.stdout
    with cluster.client() as admin:
        route = kube.get(admin, "gateway.networking.k8s.io/v1", "HTTPRoute", "journal", dana.namespace)
        assert route["spec"]["hostnames"] == [host]
        [parent] = route["spec"]["parentRefs"]
        kube.get(admin, "gateway.networking.k8s.io/v1", "Gateway", parent["name"], parent["namespace"])
    kbp(cluster, dana.kubeconfig, "down")


def test_a_developer_without_a_namespace_gets_one_with_kbps_metadata(cluster: ControlPlane) -> None:
    name = unique("dev-admin")
    kbp(cluster, cluster.kubeconfig, "up", "-n", name, "--team", "platform", "--ttl", "2d", "--tag", TAG)
    with cluster.client() as admin:
        ns = kube.get(admin, "v1", "Namespace", name)
        assert ns["metadata"]["labels"][metadata.MANAGED_BY] == metadata.MANAGED_BY_KBP
        assert ns["metadata"]["labels"][metadata.TEAM] == "platform"
        assert ns["metadata"]["annotations"][metadata.TTL] == "2d"
        # Locked down like every namespace kbp makes, and the journal still came up inside it.
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        policies = kube.list_objects(admin, "networking.k8s.io/v1", "NetworkPolicy", name)
        assert {isolation.DENY_NAME, isolation.ALLOW_NAME} <= {p["metadata"]["name"] for p in policies}
        deployments = kube.list_objects(admin, "apps/v1", "Deployment", name)
        assert deployments
        assert all(d["status"].get("readyReplicas") == d["spec"]["replicas"] for d in deployments)
    kbp(cluster, cluster.kubeconfig, "down", "-n", name, "--delete-namespace")
    with cluster.client() as admin:
        ns_after = kube.find(admin, "v1", "Namespace", name)
        assert ns_after is None or ns_after["metadata"].get("deletionTimestamp")


def test_a_namespace_kbp_did_not_make_is_neither_adopted_nor_deleted(cluster: ControlPlane) -> None:
    name = unique("handmade")
    cluster.run("kubectl", "create", "namespace", name)
    result = kbp(cluster, cluster.kubeconfig, "down", "-n", name, "--delete-namespace", check=False)
    assert result.returncode == 1
    assert "was not made by kbp" in result.stderr
