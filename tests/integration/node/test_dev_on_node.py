"""`kbp dev up` on the real node, as an onboarded developer with their own kubeconfig only.

The images are the repository's own (`kbp image build`, loaded into the node) and `-f` points the
chart at them. The copy runs in the namespace `kbp user add` made (Pod Security `restricted`, the
tenant's quota and default-deny NetworkPolicies); Redis writes its claims on the node's volumes.
`kubectl port-forward` to the fileserver, as `kbp dev up` prints it, serves the UI and `/api`
(the fileserver sends /api to the API when no gateway is in front), and `kubectl logs` of the API
pods shows the journal's JSON line for the very request sent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from kbp import kube
from kbp.cluster.node.config import NODE_NAME
from support import localimages
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique

TIMEOUT = 300
WRITE_RETRY_S = 60

pytestmark = [pytest.mark.helm, pytest.mark.timeout(900)]


@contextmanager
def _port_forward(plane: ControlPlane, dev: Onboarded, target: str) -> Iterator[str]:
    """`kubectl port-forward` with the developer's kubeconfig; yields the local base URL."""
    argv = [str(plane.bin_dir / "kubectl"), "--kubeconfig", str(dev.kubeconfig), "-n", dev.namespace]
    argv += ["port-forward", target, "0:80", "--address", "127.0.0.1"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert match, f"port-forward said {line!r}: {proc.stderr.read() if proc.stderr else ''}"
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _as_developer(plane: ControlPlane, dev: Onboarded, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**plane.env(), "KBP_HELM": str(plane.bin_dir / "helm")}
    env.pop("KUBECONFIG")  # the developer's own kubeconfig only
    argv = [sys.executable, "-m", "kbp", "dev", *args, "--kubeconfig", str(dev.kubeconfig)]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=TIMEOUT + 60, check=False)


def _write(base: str, text: str) -> httpx.Response:
    """POST an entry as the journal's clients do: a 503 (a replica did not confirm in time, as on
    a loaded machine) is retried with the same Idempotency-Key, which stores it once."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    deadline = time.monotonic() + WRITE_RETRY_S
    while True:
        written = httpx.post(f"{base}/api", json={"text": text}, headers=headers, timeout=15, trust_env=False)
        if written.status_code != 503 or time.monotonic() > deadline:
            assert written.status_code == 201, written.text
            return written
        time.sleep(1)


@pytest.fixture(scope="module")
def developer(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Onboarded]:
    """An onboarded developer whose `kbp dev up` (local images, default exposure) succeeded."""
    refs = localimages.load(real_cluster, "api", "fileserver", "redis")
    scratch = tmp_path_factory.mktemp("dev-on-node")
    values = localimages.journal_values_file(refs, scratch)
    tag = refs["api"].rsplit(":", 1)[1]
    dev = onboard(real_cluster, scratch, unique("rita"))
    up = _as_developer(real_cluster, dev, "up", "--tag", tag, "-f", str(values), "--timeout", str(TIMEOUT))
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "port-forward svc/journal-fileserver" in up.stdout
        yield dev
    finally:
        down = _as_developer(real_cluster, dev, "down")
        assert down.returncode == 0, down.stderr


def test_every_pod_runs_ready_on_the_real_node_under_restricted(
    real_cluster: ControlPlane, developer: Onboarded
) -> None:
    with real_cluster.client() as admin:
        ns = kube.get(admin, "v1", "Namespace", developer.namespace)
        pods = kube.list_objects(admin, "v1", "Pod", developer.namespace)
        claims = kube.list_objects(admin, "v1", "PersistentVolumeClaim", developer.namespace)
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert len(pods) == 7  # api x2, fileserver x2, the Redis primary and 2 replicas
    for pod in pods:
        assert pod["spec"]["nodeName"] == NODE_NAME, pod["metadata"]["name"]
        assert kube.condition(pod, "Ready") == "True", pod["metadata"]["name"]
    assert claims
    assert {c["status"]["phase"] for c in claims} == {"Bound"}


def test_the_port_forward_serves_the_ui_and_a_write_then_read_through_api(
    real_cluster: ControlPlane, developer: Onboarded
) -> None:
    text = f"from the real node {uuid.uuid4().hex}"
    with _port_forward(real_cluster, developer, "svc/journal-fileserver") as base:
        page = httpx.get(f"{base}/", timeout=10, trust_env=False)
        assert page.status_code == 200
        assert "<html" in page.text.lower()
        written = _write(base, text)
        entry = written.json()["id"]
        read = httpx.get(f"{base}/api/{entry}", timeout=10, trust_env=False)
        assert read.status_code == 200, read.text
        assert read.json()["text"] == text
    request_id = written.headers["x-request-id"]

    # kubectl logs of the API pods, as the developer: the journal's JSON line for that POST.
    kubectl = [str(real_cluster.bin_dir / "kubectl"), "--kubeconfig", str(developer.kubeconfig)]
    kubectl += ["-n", developer.namespace]
    with developer.client() as user:
        api_pods = kube.list_objects(
            user, "v1", "Pod", developer.namespace, labels={"app.kubernetes.io/component": "frontend"}
        )
    lines = []
    for pod in api_pods:
        logs = subprocess.run(
            [*kubectl, "logs", pod["metadata"]["name"]],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        lines += [json.loads(line) for line in logs.stdout.splitlines() if line.strip()]
    (line,) = [x for x in lines if x.get("request_id") == request_id and x.get("event") == "request"]
    assert line["method"] == "POST"
    assert line["route"] == "/api"
    assert line["status"] == 201
