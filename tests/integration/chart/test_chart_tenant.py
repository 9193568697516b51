"""charts/journal installed by a developer, with their own kubeconfig, into the namespace `kbp user add`
made: Pod Security `restricted`, the quota with ephemeral storage, default-deny NetworkPolicies.
The chart needs no change and no exemption for any of them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kbp import kube
from support.charts import CHART, DEV
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique

pytestmark = pytest.mark.helm
RELEASE = "journal"
TAGS = ("--set", "image.api.tag=v0.1.0-abcdef1", "--set", "image.fileserver.tag=v0.1.0-abcdef1")


@pytest.fixture(scope="module")
def tenant(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Onboarded]:
    developer = onboard(cluster, tmp_path_factory.mktemp("tenant"), unique("carol"))
    as_developer = ("--kubeconfig", str(developer.kubeconfig), "--namespace", developer.namespace)
    try:
        cluster.run(
            "helm",
            *as_developer,
            "install",
            RELEASE,
            str(CHART),
            "-f",
            str(DEV),
            *TAGS,
            "--set",
            "exposure.kind=none",  # a developer's copy, reached by port-forward (kbp dev's default)
            "--wait",
            "--timeout",
            "180s",
        )
        yield developer
    finally:
        cluster.run("helm", *as_developer, "uninstall", RELEASE, check=False)


def test_every_workload_is_available_under_restricted_and_the_quota(tenant: Onboarded) -> None:
    with tenant.client() as user:
        workloads = [
            *kube.list_objects(user, "apps/v1", "Deployment", tenant.namespace),
            *kube.list_objects(user, "apps/v1", "StatefulSet", tenant.namespace),
        ]
        assert len(workloads) == 4
        for workload in workloads:
            ready = workload["status"].get("readyReplicas") or 0
            assert ready == workload["spec"]["replicas"], workload["metadata"]["name"]
        pods = kube.list_objects(user, "v1", "Pod", tenant.namespace)
        quota = kube.get(user, "v1", "ResourceQuota", "kbp-quota", tenant.namespace)
    assert len(pods) == 7
    assert {p["status"]["phase"] for p in pods} == {"Running"}
    used = quota["status"]["used"]
    assert used["pods"] == "7"
    assert used["requests.ephemeral-storage"] != "0"


def test_no_replicaset_or_statefulset_was_refused_a_pod(tenant: Onboarded, cluster: ControlPlane) -> None:
    """Pod Security judges the pods the controllers make: a refusal would be a FailedCreate Event."""
    with cluster.client() as api:
        events = kube.list_objects(api, "v1", "Event", tenant.namespace)
    refused = [e["message"] for e in events if e.get("reason") == "FailedCreate"]
    assert refused == []
