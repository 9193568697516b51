"""The local control plane is a real Kubernetes: RBAC, CSR signing, workloads, storage, helm."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from kbp import kube
from kbp.cluster import kubeconfigs, launcher, pki, processes
from kbp.cluster.components import Component
from kbp.cluster.layout import Layout
from kbp.cluster.record import Cluster
from support.controlplane import ControlPlane, leftovers

FIXTURES = Path(__file__).parents[1] / "fixtures"
TIMEOUT = 60.0


@pytest.fixture
def api(cluster: ControlPlane) -> Iterator[kube.KubeClient]:
    """An admin client, closed after the test."""
    with cluster.client() as client:
        yield client


@pytest.fixture
def namespace(api: kube.KubeClient) -> Iterator[str]:
    """A fresh namespace per test, deleted afterwards (without waiting)."""
    name = f"t-{secrets.token_hex(4)}"
    kube.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    # Pods need the namespace's default ServiceAccount (ServiceAccount admission is on).
    kube.wait_for(
        lambda: kube.find(api, "v1", "ServiceAccount", "default", name), timeout=TIMEOUT, what="default SA"
    )
    yield name
    kube.delete(api, "v1", "Namespace", name)


def _user_kubeconfig(
    cluster: ControlPlane, tmp_path: Path, cert_pem: bytes, key_pem: bytes, user: str
) -> Path:
    doc = kubeconfigs.embedded(cluster.server, cluster.ca.read_bytes(), cert_pem, key_pem, user)
    return kubeconfigs.write(tmp_path / f"{user}.kubeconfig", doc)


def _cluster_ca(cluster: ControlPlane) -> pki.KeyPair:
    return pki.KeyPair(cluster.ca.read_bytes(), cluster.layout.key("ca").read_bytes())


def test_version_is_stamped(cluster: ControlPlane) -> None:
    response = httpx.get(
        f"{cluster.server}/version",
        verify=ssl.create_default_context(cafile=str(cluster.ca)),
        trust_env=False,
    )
    assert response.json()["gitVersion"] == "v1.37.2"


def test_rbac_denies_an_unprivileged_user(cluster: ControlPlane, tmp_path: Path) -> None:
    user = f"nobody-{secrets.token_hex(4)}"
    pair = pki.issue(_cluster_ca(cluster), pki.Identity(user))
    with kube.connect(_user_kubeconfig(cluster, tmp_path, pair.cert_pem, pair.key_pem, user)) as client:
        assert kube.whoami(client)["username"] == user  # authenticated...
        with pytest.raises(kube.ForbiddenError) as denied:
            kube.list_objects(client, "v1", "Secret", "kube-system")  # ...but not authorized
    assert denied.value.status == 403
    assert user in str(denied.value)


def _csr_pem(user: str, key: Any) -> bytes:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM)


def test_approved_csr_is_signed_and_its_certificate_authenticates(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    user = f"csr-user-{secrets.token_hex(4)}"
    key = pki.new_key()
    name = f"kbp-test-{user}"
    kube.create(
        api,
        {
            "apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest",
            "metadata": {"name": name},
            "spec": {
                "request": base64.b64encode(_csr_pem(user, key)).decode(),
                "signerName": "kubernetes.io/kube-apiserver-client",
                "usages": ["client auth"],
                "expirationSeconds": 3600,
            },
        },
    )
    approved = kube.approve_csr(api, name, message="approved by test")
    assert kube.condition(approved, "Approved") == "True"

    def issued() -> str | None:
        csr = kube.get(api, "certificates.k8s.io/v1", "CertificateSigningRequest", name)
        cert: str | None = csr.get("status", {}).get("certificate")
        return cert

    cert_pem = base64.b64decode(kube.wait_for(issued, timeout=TIMEOUT, what="signed certificate"))
    with kube.connect(_user_kubeconfig(cluster, tmp_path, cert_pem, pki.key_pem(key), user)) as user_client:
        assert kube.whoami(user_client)["username"] == user
    kube.delete(api, "certificates.k8s.io/v1", "CertificateSigningRequest", name)


def _deployment(name: str, namespace: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
            },
        },
    }


def test_deployment_becomes_available_on_kwok_nodes(
    cluster: ControlPlane, namespace: str, api: kube.KubeClient
) -> None:
    kube.apply(api, _deployment("web", namespace, 2))

    def available() -> dict[str, Any] | None:
        obj = kube.get(api, "apps/v1", "Deployment", "web", namespace)
        ok = kube.condition(obj, "Available") == "True" and obj["status"].get("availableReplicas") == 2
        return obj if ok else None

    kube.wait_for(available, timeout=TIMEOUT, what="Deployment web available")
    pods = kube.list_objects(api, "v1", "Pod", namespace, labels={"app": "web"})
    assert len(pods) == 2
    assert all(p["spec"]["nodeName"].startswith("kwok-node-") for p in pods)
    assert all(p["status"]["phase"] == "Running" for p in pods)


def _statefulset(namespace: str) -> dict[str, Any]:
    labels = {"app": "db"}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": namespace},
        "spec": {
            "serviceName": "db",
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "db", "image": "registry.example/db:1"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }


def test_statefulset_claims_bind_and_pods_run(
    cluster: ControlPlane, namespace: str, api: kube.KubeClient
) -> None:
    kube.apply(api, _statefulset(namespace))

    def ready() -> dict[str, Any] | None:
        obj = kube.get(api, "apps/v1", "StatefulSet", "db", namespace)
        return obj if obj.get("status", {}).get("readyReplicas") == 2 else None

    kube.wait_for(ready, timeout=TIMEOUT, what="StatefulSet db ready")
    claims = kube.list_objects(api, "v1", "PersistentVolumeClaim", namespace)
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-db-0", "data-db-1"]
    assert all(c["status"]["phase"] == "Bound" for c in claims)
    assert all(c["spec"]["storageClassName"] == "standard" for c in claims)
    pods = kube.list_objects(api, "v1", "Pod", namespace, labels={"app": "db"})
    assert sorted(p["status"]["phase"] for p in pods) == ["Running", "Running"]


def test_deleting_a_namespace_finalizes(api: kube.KubeClient) -> None:
    name = f"doomed-{secrets.token_hex(4)}"
    kube.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    kube.apply(api, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": name}})
    kube.apply(api, _deployment("web", name, 1))
    kube.delete(api, "v1", "Namespace", name)

    def gone() -> bool | None:
        return True if kube.find(api, "v1", "Namespace", name) is None else None

    kube.wait_for(gone, timeout=TIMEOUT, what=f"namespace {name} to finalize")


def test_helm_installs_a_chart(cluster: ControlPlane, namespace: str, api: kube.KubeClient) -> None:
    chart = FIXTURES / "charts" / "tiny"
    cluster.run("helm", "install", "demo", str(chart), "-n", namespace, "--wait", "--timeout", "60s")
    releases = json.loads(cluster.run("helm", "list", "-n", namespace, "-o", "json").stdout)
    assert [(r["name"], r["status"]) for r in releases] == [("demo", "deployed")]
    assert kube.get(api, "v1", "ConfigMap", "demo-tiny", namespace)["data"] == {"greeting": "hello"}
    deployment = kube.get(api, "apps/v1", "Deployment", "demo-tiny", namespace)
    assert deployment["status"]["availableReplicas"] == 2
    cluster.run("helm", "uninstall", "demo", "-n", namespace, "--wait")


def test_bundled_kubectl_matches_the_server(cluster: ControlPlane) -> None:
    version = json.loads(cluster.run("kubectl", "version", "-o", "json").stdout)
    assert version["clientVersion"]["gitVersion"] == version["serverVersion"]["gitVersion"] == "v1.37.2"


def _kbp(*args: str, state: Path, bin_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KBP_TESTENV_BIN": str(bin_dir)}
    return subprocess.run(
        [sys.executable, "-m", "kbp", "cluster", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def _running(pid: int) -> bool:
    # A killed process may linger as a zombie until its (foreign) parent reaps it: not running.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_cli_up_status_down_leaves_nothing_behind(cluster: ControlPlane, tmp_path: Path) -> None:
    """A second, separate cluster driven only through the CLI, so `down` runs in another process."""
    state = tmp_path / "second"
    bins = cluster.bin_dir
    started = _kbp("up", "--nodes", "1", state=state, bin_dir=bins)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"export KUBECONFIG={state / 'admin.kubeconfig'}"
    record = Cluster.load(Layout.at(state))
    assert record is not None
    assert set(record.ports.all()).isdisjoint(cluster.cluster.ports.all())
    assert _kbp("status", state=state, bin_dir=bins).returncode == 0
    pids = [int(p.read_text().split()[0]) for p in Layout.at(state).run.glob("*.pid")]
    assert len(pids) == 5

    stopped = _kbp("down", state=state, bin_dir=bins)
    assert stopped.returncode == 0, stopped.stderr
    assert leftovers(Layout.at(state)) == []
    assert [pid for pid in pids if _running(pid)] == []
    assert [p for p in record.ports.all() if not _port_free(p)] == []
    assert _kbp("status", state=state, bin_dir=bins).returncode == 1
    assert _kbp("down", state=state, bin_dir=bins).returncode == 0  # idempotent


def test_failed_start_stops_what_started_and_shows_the_log(cluster: ControlPlane, tmp_path: Path) -> None:
    """An apiserver that dies at once: etcd, already running, is stopped; the error carries the log."""
    bins = tmp_path / "bins"
    bins.mkdir()
    for item in cluster.bin_dir.iterdir():
        (bins / item.name).symlink_to(item)
    (bins / "kube-apiserver").unlink()
    broken = bins / "kube-apiserver"
    broken.write_text("#!/bin/sh\necho 'refusing to start: test double' >&2\nexit 3\n")
    broken.chmod(0o755)
    layout = Layout.at(tmp_path / "state")

    with pytest.raises(launcher.StartError) as failed:
        launcher.up(bins, layout, nodes=1, timeout=TIMEOUT)

    assert "kube-apiserver exited" in str(failed.value)
    assert "refusing to start: test double" in str(failed.value)
    assert leftovers(layout) == []
    record = Cluster.load(layout)
    assert record is not None
    assert _port_free(record.ports.etcd_client)


def test_down_never_signals_a_process_it_did_not_start(tmp_path: Path) -> None:
    """A pid file whose start time does not match (a reused pid) is ignored, not killed."""
    layout = Layout.at(tmp_path)
    sleeper = Component("sleeper", ("/bin/sleep", "60"), "http://127.0.0.1:1/", tls=False)
    handle = processes.spawn(sleeper, layout)
    try:
        layout.pid("sleeper").write_text(f"{handle.pid} {handle.start_time + 1}\n")
        assert processes.stop_all(layout, ["sleeper"]) == []
        assert processes.alive(handle)
    finally:
        processes.stop(handle, layout)
    assert not processes.alive(handle)
