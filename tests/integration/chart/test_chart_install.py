"""helm 4 installs charts/journal with the dev values into the real control plane; EndpointSlices
prove the routing; upgrades roll the API for a new config version and keep the password."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from kbp import kube
from support.charts import CHART, DEV, LONGEST_RELEASE
from support.controlplane import ControlPlane

pytestmark = pytest.mark.helm
NS = "journal-chart"
RELEASE = "journal"
TAGS = ("--set", "image.api.tag=v0.1.0-abcdef1", "--set", "image.fileserver.tag=v0.1.0-abcdef1")


def upgrade(cluster: ControlPlane, *sets: str, reuse: bool = False) -> None:
    """helm upgrade of the installed release with the dev values, the tags and `--set` each of `sets`."""
    flags = [flag for assignment in sets for flag in ("--set", assignment)]
    flags += ["--reuse-values"] if reuse else []
    helm(
        cluster, "upgrade", RELEASE, str(CHART), "-f", str(DEV), *TAGS, *flags, "--wait", "--timeout", "120s"
    )


def helm(cluster: ControlPlane, *args: str) -> str:
    return cluster.run("helm", *args, "--namespace", NS).stdout


@pytest.fixture(scope="module")
def installed(cluster: ControlPlane) -> Iterator[kube.KubeClient]:
    # The HTTPRoute (the default exposure) needs the Gateway API CRDs: `kbp cluster up` installs them.
    helm(
        cluster,
        "install",
        RELEASE,
        str(CHART),
        "--create-namespace",
        "-f",
        str(DEV),
        *TAGS,
        "--wait",
        "--timeout",
        "120s",
    )
    with cluster.client(namespace=NS) as client:
        yield client


def items(client: kube.KubeClient, api_version: str, kind: str, **labels: str) -> list[dict[str, Any]]:
    return kube.list_objects(client, api_version, kind, NS, labels or None)


def pod_ips(client: kube.KubeClient, component: str) -> dict[str, str]:
    pods = items(client, "v1", "Pod", **{"app.kubernetes.io/component": component})
    return {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}


def endpoint_ips(client: kube.KubeClient, service: str) -> set[str]:
    slices = items(client, "discovery.k8s.io/v1", "EndpointSlice", **{"kubernetes.io/service-name": service})
    return {address for s in slices for e in s.get("endpoints") or [] for address in e["addresses"]}


def test_workloads_are_available_on_kwok_nodes_with_bound_claims(installed: kube.KubeClient) -> None:
    for deployment in items(installed, "apps/v1", "Deployment"):
        assert deployment["status"].get("availableReplicas") == deployment["spec"]["replicas"] >= 2
    nodes = {n["metadata"]["name"]: n for n in kube.list_objects(installed, "v1", "Node")}
    redis_pods = [p for p in items(installed, "v1", "Pod") if "redis" in p["metadata"]["name"]]
    assert sorted(p["metadata"]["name"] for p in redis_pods) == [
        "journal-redis-0",
        "journal-redis-replica-0",
        "journal-redis-replica-1",
    ]
    for pod in redis_pods:
        assert pod["status"]["phase"] == "Running"
        node = nodes[pod["spec"]["nodeName"]]
        assert node["metadata"]["annotations"].get("kwok.x-k8s.io/node") == "fake"
    claims = items(installed, "v1", "PersistentVolumeClaim")
    assert sorted(c["metadata"]["name"] for c in claims) == [
        "data-journal-redis-0",
        "data-journal-redis-replica-0",
        "data-journal-redis-replica-1",
    ]
    assert {c["status"]["phase"] for c in claims} == {"Bound"}


def test_endpoint_slices_route_writes_to_the_primary_and_reads_to_replicas(
    installed: kube.KubeClient,
) -> None:
    primary = pod_ips(installed, "redis-primary")
    replicas = pod_ips(installed, "redis-replica")
    api = pod_ips(installed, "frontend")
    assert len(replicas) == 2
    assert len(api) == 2
    expected = {
        "journal-redis-write": {primary["journal-redis-0"]},
        "journal-redis-read": set(replicas.values()),
        "journal-api": set(api.values()),
        "journal-fileserver": set(pod_ips(installed, "fileserver").values()),
    }
    # helm's --wait looks at the workloads; the EndpointSlice controller catches up a moment later.
    actual: dict[str, set[str]] = {}

    def routed() -> bool | None:
        actual.update({service: endpoint_ips(installed, service) for service in expected})
        return True if actual == expected else None

    try:
        kube.wait_for(routed, timeout=30, what="EndpointSlices to list every ready pod")
    except kube.KubeError:
        assert actual == expected


def test_the_api_server_accepts_the_httproute(installed: kube.KubeClient) -> None:
    route = kube.get(installed, "gateway.networking.k8s.io/v1", "HTTPRoute", "journal", NS)
    paths = {r["matches"][0]["path"]["value"]: r["backendRefs"][0]["name"] for r in route["spec"]["rules"]}
    assert paths == {"/api": "journal-api", "/": "journal-fileserver"}


def test_upgrades_roll_the_api_for_a_new_config_and_keep_the_password(
    cluster: ControlPlane, installed: kube.KubeClient
) -> None:
    secret_before = kube.get(installed, "v1", "Secret", "journal-redis-passwd", NS)["data"]
    assert len(base64.b64decode(secret_before["passwd"])) >= 32
    sets_before = {r["metadata"]["name"] for r in items(installed, "apps/v1", "ReplicaSet")}
    upgrade(cluster, "config.version=2", "config.settings.entries=20")
    deployment = kube.get(installed, "apps/v1", "Deployment", "journal-api", NS)
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert next(v for v in volumes if v["name"] == "config")["configMap"]["name"] == "journal-config-v2"
    new_sets = {r["metadata"]["name"] for r in items(installed, "apps/v1", "ReplicaSet")} - sets_before
    assert [name for name in new_sets if name.startswith("journal-api-")], new_sets
    assert kube.get(installed, "v1", "ConfigMap", "journal-config-v2", NS)["data"]["entries"] == "20"
    # The old version stays for rollback; the password never changes.
    assert kube.find(installed, "v1", "ConfigMap", "journal-config-v1", NS) is not None
    assert kube.get(installed, "v1", "Secret", "journal-redis-passwd", NS)["data"] == secret_before


def config_maps(client: kube.KubeClient) -> set[str]:
    return {
        c["metadata"]["name"]
        for c in items(client, "v1", "ConfigMap")
        if "-config-v" in c["metadata"]["name"]
    }


def test_a_plain_upgrade_changing_settings_without_a_new_version_says_what_to_do(
    cluster: ControlPlane, installed: kube.KubeClient
) -> None:
    before = config_maps(installed)
    args = ["upgrade", RELEASE, str(CHART), "--reuse-values", "--set", "config.settings.entries=33"]
    result = cluster.run("helm", *args, "--namespace", NS, check=False)
    assert result.returncode != 0
    assert "config.settings changed (entries) but config.version is still" in result.stderr, result.stderr
    assert "--set config.version=" in result.stderr
    assert "field is immutable" not in result.stderr
    assert config_maps(installed) == before
    assert "STATUS: deployed" in helm(cluster, "status", RELEASE)


def test_the_longest_release_name_installs(cluster: ControlPlane) -> None:
    """53 characters, Helm's limit: every object is accepted and every pod of the StatefulSets runs."""
    namespace = "journal-longest"
    flags = ("--namespace", namespace)
    cluster.run("helm", "install", LONGEST_RELEASE, str(CHART), "--create-namespace", "-f", str(DEV), *TAGS,
                "--wait", "--timeout", "120s", *flags)  # fmt: skip
    try:
        with cluster.client(namespace=namespace) as client:
            for sts in kube.list_objects(client, "apps/v1", "StatefulSet", namespace):
                assert sts["status"].get("readyReplicas") == sts["spec"]["replicas"], sts["metadata"]["name"]
            pods = kube.list_objects(client, "v1", "Pod", namespace)
            assert len(pods) == 7  # 2 API, 2 fileserver, the primary and 2 replicas
    finally:
        cluster.run("helm", "uninstall", LONGEST_RELEASE, "--wait", *flags, check=False)


def test_the_api_server_accepts_the_ingress_variant(
    cluster: ControlPlane, installed: kube.KubeClient
) -> None:
    upgrade(cluster, "exposure.kind=ingress", "exposure.ingress.className=example", reuse=True)
    ingress = kube.get(installed, "networking.k8s.io/v1", "Ingress", "journal", NS)
    paths = {p["path"]: p["backend"]["service"]["name"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/api": "journal-api", "/": "journal-fileserver"}
    assert ingress["spec"]["tls"][0]["hosts"] == ["journal.dev.localhost"]
    assert kube.find(installed, "gateway.networking.k8s.io/v1", "HTTPRoute", "journal", NS) is None


def test_sentinel_mode_rolls_a_sentinel_into_every_redis_pod(
    cluster: ControlPlane, installed: kube.KubeClient
) -> None:
    upgrade(cluster, "redis.sentinel.enabled=true", reuse=True)
    pods = [
        pod
        for component in ("redis-primary", "redis-replica")
        for pod in items(installed, "v1", "Pod", **{"app.kubernetes.io/component": component})
        if not pod["metadata"].get("deletionTimestamp")
    ]
    assert len(pods) == 3
    for pod in pods:
        statuses = {s["name"]: s["ready"] for s in pod["status"]["containerStatuses"]}
        assert statuses == {"redis": True, "sentinel": True}, pod["metadata"]["name"]
    slices = items(
        installed,
        "discovery.k8s.io/v1",
        "EndpointSlice",
        **{"kubernetes.io/service-name": "journal-redis-headless"},
    )
    assert {p["name"] for s in slices for p in s["ports"]} == {"redis", "sentinel"}
    api = kube.get(installed, "apps/v1", "Deployment", "journal-api", NS)["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in api["containers"][0]["env"]}
    assert env["JOURNAL_SENTINEL_ADDRESSES"].count(f".journal-redis-headless.{NS}.svc:26379") == 3
