"""The journal chart proven with running containers: the images `kbp image build` made here, loaded
into the real node, installed with the dev values; probes, volumes, Services and the chart's own
Redis scripts all real. Traffic comes from inside the node's network, where Service IPs route."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube
from support import onnode
from support.controlplane import ControlPlane
from support.realnode import namespace, node_of

# A cluster, an image load and an install in a first test's setup: more than the default 300 s
# on a loaded machine.
pytestmark = [pytest.mark.helm, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def release(real_cluster: ControlPlane, local_values: Path) -> Iterator[str]:
    """The dev values, installed once for the module's tests; claims from the default class."""
    with real_cluster.client() as client, namespace(client) as ns:
        onnode.install(real_cluster, ns, local_values)
        yield ns


def api_url(plane: ControlPlane, ns: str) -> str:
    with plane.client() as client:
        return f"http://{onnode.cluster_ip(client, ns, 'journal-api')}"


def test_every_pod_runs_ready_through_its_probes_on_real_volumes(
    real_cluster: ControlPlane, release: str
) -> None:
    with real_cluster.client() as client:
        all_pods = kube.list_objects(client, "v1", "Pod", release)
        claims = kube.list_objects(client, "v1", "PersistentVolumeClaim", release)
        volumes = {pv["metadata"]["name"]: pv for pv in kube.list_objects(client, "v1", "PersistentVolume")}
    assert len(all_pods) == 2 + 2 + 1 + 2  # API, fileserver, Redis primary and replicas (values-dev)
    for pod in all_pods:
        name = pod["metadata"]["name"]
        assert pod["status"]["phase"] == "Running", name
        assert kube.condition(pod, "Ready") == "True", name
        assert pod["spec"]["nodeName"] == node_of(real_cluster).name, name
        for status in pod["status"]["containerStatuses"]:
            assert status["ready"], (name, status["name"])
            assert status["restartCount"] == 0, (name, status["name"], status.get("lastState"))
    assert len(claims) == 3
    for claim in claims:
        assert claim["status"]["phase"] == "Bound"
        volume = volumes[claim["spec"]["volumeName"]]
        assert volume["status"]["phase"] == "Bound"
        # A directory on the node's disk, which the pod's Redis (uid 999) writes its AOF into.
        directory = Path(volume["spec"]["local"]["path"])
        if claim["metadata"]["name"] == "data-journal-redis-0":
            assert (directory / "appendonlydir").is_dir(), sorted(directory.iterdir())


def test_helm_test_writes_an_entry_and_reads_it_back(real_cluster: ControlPlane, release: str) -> None:
    done = onnode.helm(real_cluster, "test", "journal", "-n", release, "--logs")
    assert "wrote, read back and deleted entry" in done.stdout, done.stdout


def test_a_post_through_the_service_lands_on_the_primary_and_every_replica(
    real_cluster: ControlPlane, release: str
) -> None:
    node = node_of(real_cluster)
    text = "through the Service to every replica"
    status, body = onnode.http(node, "POST", f"{api_url(real_cluster, release)}/api", {"text": text})
    assert status == 201, body
    entry_id = str(json.loads(body)["id"])
    assert onnode.role(real_cluster, release, "journal-redis-0") == "master"
    stored = onnode.redis_cli(real_cluster, release, "journal-redis-0", "HGET", "journal:entries", entry_id)
    assert json.loads(stored)["text"] == text
    with real_cluster.client() as client:
        replicas = [p["metadata"]["name"] for p in onnode.pods(client, release, "redis-replica")]
    assert len(replicas) == 2
    for pod in replicas:
        assert onnode.role(real_cluster, release, pod) == "slave"
        onnode.wait_for(
            lambda pod=pod: onnode.redis_cli(
                real_cluster, release, pod, "HGET", "journal:entries", entry_id
            ).strip(),
            f"entry {entry_id} on {pod}",
        )


def test_reads_through_redis_read_never_reach_the_primary(real_cluster: ControlPlane, release: str) -> None:
    # Each redis-cli is a new connection, which kube-proxy sends to any of the Service's endpoints.
    roles = {
        onnode.role(real_cluster, release, "journal-redis-replica-0", host="journal-redis-read")
        for _ in range(20)
    }
    assert roles == {"slave"}
    with real_cluster.client() as client:
        endpoints = kube.list_objects(
            client,
            "discovery.k8s.io/v1",
            "EndpointSlice",
            release,
            {"kubernetes.io/service-name": "journal-redis-read"},
        )
        primary_ip = kube.get(client, "v1", "Pod", "journal-redis-0", release)["status"]["podIP"]
    addresses = {a for slice_ in endpoints for e in slice_.get("endpoints") or [] for a in e["addresses"]}
    assert len(addresses) == 2
    assert primary_ip not in addresses


def test_kubectl_logs_of_an_api_pod_shows_its_json_lines(real_cluster: ControlPlane, release: str) -> None:
    with real_cluster.client() as client:
        pod = onnode.pods(client, release, "frontend")[0]["metadata"]["name"]
    lines = [line for line in onnode.kubectl(real_cluster, "logs", "-n", release, pod).splitlines() if line]
    assert lines
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all("level" in record for record in records)


def test_a_rolling_config_upgrade_under_load_fails_no_request_and_loses_no_write(
    real_cluster: ControlPlane, release: str, tmp_path: Path
) -> None:
    node = node_of(real_cluster)
    with onnode.steady_load(node, api_url(real_cluster, release), tmp_path) as load:
        onnode.wait_for(
            lambda: load.process.poll() is None and (tmp_path / "load.log").exists(), "load started"
        )
        set_ = subprocess.run(
            [sys.executable, "-m", "kbp", "config", "set", "entries=20", "-n", release],
            env=real_cluster.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert set_.returncode == 0, set_.stderr
    result = load.result
    assert result is not None
    assert result["refusals"] == {}, result["refusal_details"]  # no write failed, not even once
    assert set(result["read_statuses"]) == {"200"}, result["read_statuses"]
    stored = onnode.texts(real_cluster, release, "journal-redis-0")
    assert set(result["acknowledged"]) <= set(stored)
    assert len(stored) == len(set(stored)), "an entry stored twice"
    assert len(result["acknowledged"]) > 10


def test_an_image_that_is_not_loaded_names_the_pods_own_event_in_kbp_deploys_error(
    real_cluster: ControlPlane, local_values: Path, tmp_path: Path
) -> None:
    # The loaded Redis, but API and fileserver tags that were never built.
    doc = json.loads(local_values.read_text())
    del doc["image"]["api"], doc["image"]["fileserver"]
    (tmp_path / "values.yaml").write_text(json.dumps(doc))
    with real_cluster.client() as client, namespace(client) as ns:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "kbp", "deploy", "--env", "dev", "-n", ns),
                *("--tag", "v0.0.0-00000000", "-f", str(tmp_path / "values.yaml"), "--timeout", "120"),
            ],
            env=real_cluster.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ErrImageNeverPull" in done.stderr, done.stderr
