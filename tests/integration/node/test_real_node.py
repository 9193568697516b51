"""A real node beside the kwok ones: containers start, probes run, packets move.

All on the session's `real_cluster`: a pod from an image built here runs and passes its probes,
`kubectl logs` and `exec` reach it through the kubelet, CoreDNS answers for Service names, and a
ClusterIP routes through kube-proxy's rules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kbp import kube
from kbp.cluster.node import dns, dnshealth
from kbp.cluster.node.config import NODE_NAME
from support.controlplane import ControlPlane
from support.realnode import (
    NODETEST_IMAGE,
    PORT,
    get_from_node,
    load_nodetest,
    namespace,
    node_of,
    ready_pod,
    server_pod,
)


@pytest.fixture(scope="module")
def image(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> str:
    return load_nodetest(real_cluster, tmp_path_factory.mktemp("images"))


@pytest.fixture
def ns(real_cluster: ControlPlane, image: str) -> Iterator[str]:
    with real_cluster.client() as client, namespace(client) as name:
        yield name


def _service(name: str, namespace: str, selector: dict[str, str]) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": PORT}]},
    }


def test_the_node_registers_ready_with_the_control_planes_version(real_cluster: ControlPlane) -> None:
    node = node_of(real_cluster)
    with real_cluster.client() as client:
        obj = kube.get(client, "v1", "Node", NODE_NAME)
    info = obj["status"]["nodeInfo"]
    assert kube.condition(obj, "Ready") == "True"
    assert info["kubeletVersion"] == "v1.37.2"
    assert info["containerRuntimeVersion"].startswith("containerd://2.4.")
    addresses = {a["type"]: a["address"] for a in obj["status"]["addresses"]}
    assert addresses["InternalIP"] == node.ip


def test_a_pod_from_a_local_image_runs_passes_its_probe_and_answers_logs_and_exec(
    real_cluster: ControlPlane, ns: str
) -> None:
    with real_cluster.client() as client:
        kube.apply(client, server_pod("web", ns, {"app": "web"}))
        pod = ready_pod(client, "web", ns)
    assert pod["spec"]["nodeName"] == NODE_NAME
    assert (
        get_from_node(node_of(real_cluster), f"http://{pod['status']['podIP']}:{PORT}/") == "hello from web\n"
    )
    logs = real_cluster.run("kubectl", "logs", "-n", ns, "web")
    assert f"nodetest serving on :{PORT} as web" in logs.stdout
    assert "request GET / from" in logs.stdout
    exec_ = real_cluster.run(
        "kubectl", "exec", "-n", ns, "web", "--", "/nodetest", "get", f"http://127.0.0.1:{PORT}/healthz"
    )
    assert exec_.stdout == "ok\n"


def test_a_service_name_resolves_through_coredns_and_routes_through_kube_proxy(
    real_cluster: ControlPlane, ns: str
) -> None:
    with real_cluster.client() as client:
        kube.apply(client, server_pod("backend", ns, {"app": "backend"}))
        kube.apply(client, server_pod("client", ns, {"app": "client"}))
        kube.apply(client, _service("backend", ns, {"app": "backend"}))
        ready_pod(client, "backend", ns)
        ready_pod(client, "client", ns)
        cluster_ip = kube.get(client, "v1", "Service", "backend", ns)["spec"]["clusterIP"]
    lookup = real_cluster.run("kubectl", "exec", "-n", ns, "client", "--", "/nodetest", "lookup", "backend")
    assert lookup.stdout.split() == [cluster_ip]  # the short name, through the pod's search path
    fqdn = f"backend.{ns}.svc.cluster.local"
    # A Ready pod reaches kube-proxy's rules only after the EndpointSlice controller and kube-proxy's
    # next sync; until then the Service REJECTs ("no route to host"). Allow that propagation, bounded.
    deadline = time.monotonic() + 30
    while True:
        via_service = real_cluster.run(
            "kubectl", "exec", "-n", ns, "client", "--", "/nodetest", "get", f"http://{fqdn}/", check=False
        )
        if via_service.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert via_service.stdout == "hello from backend\n", via_service.stderr
    # From the node itself too: kube-proxy's OUTPUT rules, no DNS involved.
    assert get_from_node(node_of(real_cluster), f"http://{cluster_ip}/") == "hello from backend\n"


def test_ups_account_of_the_coredns_pod_has_its_status_and_its_log(real_cluster: ControlPlane) -> None:
    """What `up` adds to its error when cluster DNS never answers, read here from a CoreDNS that
    does: the pod through the API and the lines its container wrote, from the kubelet's log file."""
    text = dnshealth.describe_pods(real_cluster.cluster)
    first = text.splitlines()[0]
    assert first.startswith("pod kube-system/coredns-"), text
    assert first.endswith(": Running"), text
    # Not a bare "waiting": under load a probe-timeout warning ("...awaiting headers") is listed too,
    # and a liveness restart would add an "exited" line; neither is what this reads.
    assert not [
        line for line in text.splitlines() if line.strip().startswith(f"container {dns.NAME} waiting")
    ], text
    # The newest lines only (the start-up banner is gone once other tests' lookups logged errors),
    # each as CoreDNS wrote it, without the kubelet's `<time> <stream> <tag>` prefix.
    logged = text.split("last log lines:\n", 1)[1].splitlines()
    assert 1 <= len(logged) <= dnshealth.LOG_LINES, text
    banner = ("maxprocs:", ".:53", f"CoreDNS-{dns.VERSION.removeprefix('v')}", "linux/")
    assert all(line.strip().startswith(("[", *banner)) for line in logged), text


def test_workloads_land_on_the_real_node_not_on_kwok(real_cluster: ControlPlane, ns: str) -> None:
    labels = {"app": "spread"}
    template = server_pod("unused", ns, labels)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "spread", "namespace": ns},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": template["spec"]},
        },
    }
    with real_cluster.client() as client:
        kube.apply(client, deployment)
        kube.wait_for(
            lambda: (
                (
                    kube.get(client, "apps/v1", "Deployment", "spread", ns)
                    .get("status", {})
                    .get("readyReplicas")
                    == 4
                )
                or None
            ),
            timeout=120,
            what="4 ready replicas",
        )
        pods = kube.list_objects(client, "v1", "Pod", ns, labels=labels)
        kwok = kube.list_objects(client, "v1", "Node", labels={"type": "kwok"})
    assert {p["spec"]["nodeName"] for p in pods} == {NODE_NAME}
    assert kwok  # the fake nodes are still there, and still schedulable for pods that tolerate them
    assert all(t["effect"] == "NoSchedule" for n in kwok for t in n["spec"]["taints"])


def test_a_job_pod_calls_the_api_with_its_own_service_account_token(
    real_cluster: ControlPlane, ns: str
) -> None:
    # What the reaper's CronJob relies on: a projected token, the kubernetes Service, kube-proxy.
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "whoami", "namespace": ns},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "serviceAccountName": "prober",
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "whoami",
                            "image": NODETEST_IMAGE,
                            "imagePullPolicy": "Never",
                            "args": ["whoami"],
                        }
                    ],
                }
            },
        },
    }
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "prober", "namespace": ns}}
    with real_cluster.client() as client:
        kube.apply(client, sa)
        kube.apply(client, job)

        def finished() -> dict[str, object] | None:
            status = kube.get(client, "batch/v1", "Job", "whoami", ns).get("status", {})
            return status if status.get("succeeded") or status.get("failed") else None

        status = kube.wait_for(finished, timeout=120, what="the Job to finish")
    logs = real_cluster.run("kubectl", "logs", "-n", ns, "job/whoami")
    assert status.get("succeeded") == 1, logs.stdout + logs.stderr
    assert logs.stdout.strip() == f"system:serviceaccount:{ns}:prober"
