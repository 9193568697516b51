"""`kbp user add` twice, renew, refusals, a denied CSR, list and remove, against the real control plane."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp import kube, metadata
from kbp.cluster import kubeconfigs, pki
from kbp.users import keys, kubeconfig, plans
from support.controlplane import ControlPlane
from support.onboarding import TIMEOUT, Onboarded, kbp, onboard, unique

RBAC = "rbac.authorization.k8s.io/v1"
CSR = "certificates.k8s.io/v1"


def _state(api: kube.KubeClient, who: Onboarded) -> dict[str, str]:
    """The resourceVersion of every object `user add` manages for `who`."""
    ns = who.namespace
    objects = {
        "namespace": kube.get(api, "v1", "Namespace", ns),
        "quota": kube.get(api, "v1", "ResourceQuota", "kbp-quota", ns),
        "limits": kube.get(api, "v1", "LimitRange", "kbp-limits", ns),
        "binding": kube.get(api, RBAC, "RoleBinding", plans.binding_name(who.name), ns),
    }
    return {k: v["metadata"]["resourceVersion"] for k, v in objects.items()}


def _csrs(api: kube.KubeClient, user: str) -> list[str]:
    return [
        c["metadata"]["name"]
        for c in kube.list_objects(api, CSR, "CertificateSigningRequest", labels={metadata.USER: user})
    ]


def _add_again(cluster: ControlPlane, who: Onboarded, *extra: str) -> dict[str, Any]:
    args = ["user", "add", who.name, "--team", "payments", "--groups", "dev,qa", "--out", str(who.kubeconfig)]
    result: dict[str, Any] = json.loads(kbp(cluster, *args, "-o", "json", *extra).stdout)
    return result


def test_running_add_twice_changes_nothing(
    cluster: ControlPlane, alice: Onboarded, api: kube.KubeClient
) -> None:
    assert alice.result["certificate"] == "issued"
    before = (
        _state(api, alice),
        _csrs(api, alice.name),
        alice.kubeconfig.read_bytes(),
        alice.kubeconfig.stat().st_mtime_ns,
    )
    again = _add_again(cluster, alice)
    after = (
        _state(api, alice),
        _csrs(api, alice.name),
        alice.kubeconfig.read_bytes(),
        alice.kubeconfig.stat().st_mtime_ns,
    )
    assert again["certificate"] == "kept"
    assert again["changed"] == []
    assert again["certExpires"] == alice.result["certExpires"]
    assert after == before


def test_an_expiring_certificate_is_renewed_and_renew_forces_it(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    carol = onboard(cluster, tmp_path, unique("carol"), "--cert-ttl", "1h")
    first = keys.read_certificate(_cert(carol.kubeconfig))
    assert abs(first.lifetime - dt.timedelta(hours=1)) < dt.timedelta(
        minutes=10
    )  # expirationSeconds honoured

    kept = _add_again(cluster, carol, "--cert-ttl", "1h")
    assert kept["certificate"] == "kept"
    renewed = _add_again(
        cluster, carol, "--cert-ttl", "1h", "--renew-before", "2h"
    )  # expires within the window
    assert renewed["certificate"] == "issued"
    assert "expires at" in renewed["reason"]
    second = keys.read_certificate(_cert(carol.kubeconfig))
    assert second.public_key_pem != first.public_key_pem  # a new key with every new certificate

    forced = json.loads(
        kbp(cluster, "user", "renew", carol.name, "--out", str(carol.kubeconfig), "-o", "json").stdout
    )
    assert forced["certificate"] == "issued"
    assert (forced["namespace"], forced["groups"], forced["team"]) == (
        carol.namespace,
        ["dev", "qa"],
        "payments",
    )
    binding = kube.get(api, RBAC, "RoleBinding", plans.binding_name(carol.name), carol.namespace)
    assert binding["metadata"]["annotations"][metadata.CERT_EXPIRES] == forced["certExpires"]
    with carol.client() as user:
        assert kube.whoami(user)["username"] == carol.name


def _cert(path: Path) -> bytes:
    creds = kubeconfig.parse(path.read_bytes())
    assert creds is not None
    return creds.cert_pem


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port that accepts connections and records them: proof of whether anything called it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _kubeconfig_at(path: Path, port: int) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "trap", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
        "users": [{"name": "admin", "user": {"token": "unused"}}],
        "contexts": [{"name": "trap", "context": {"cluster": "trap", "user": "admin"}}],
        "current-context": "trap",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["system:masters"], 'user "system:masters": refused', id="system-masters-user"),
        pytest.param(["system:node:x"], 'user "system:node:x": refused', id="system-prefix-user"),
        pytest.param(
            ["ok", "--groups", "dev,system:masters"], 'group "system:masters": refused', id="masters-group"
        ),
        pytest.param(["ok", "--groups", "system:nodes"], 'group "system:nodes": refused', id="system-group"),
        pytest.param(["Not_A_Label"], 'user "Not_A_Label": not a valid name', id="not-a-dns-label"),
    ],
)
def test_refused_names_make_no_api_call(
    listener: socket.socket, tmp_path: Path, args: list[str], message: str
) -> None:
    config = _kubeconfig_at(tmp_path / "trap.kubeconfig", listener.getsockname()[1])
    result = subprocess.run(
        [sys.executable, "-m", "kbp", "user", "add", *args, "--team", "t", "--kubeconfig", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected
    assert [p.name for p in tmp_path.iterdir()] == ["trap.kubeconfig"]  # and no kubeconfig written


def test_a_denied_csr_is_reported_and_leaves_no_user_behind(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    name = unique("mallory")
    out = tmp_path / f"{name}.kubeconfig"
    args = [
        sys.executable,
        "-m",
        "kbp",
        "user",
        "add",
        name,
        "--team",
        "payments",
        "--out",
        str(out),
        "--no-approve",
    ]
    with subprocess.Popen(
        args, env=cluster.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        pending = kube.wait_for(lambda: _csrs(api, name) or None, timeout=TIMEOUT, what="kbp's CSR")
        kube.deny_csr(api, pending[0], reason="NotOnTheList", message="mallory is not on the team")
        _, stderr = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 1
    assert f"error: CSR {pending[0]} was denied: NotOnTheList: mallory is not on the team" in stderr
    assert not out.exists()
    assert _csrs(api, name) == []
    assert kube.find(api, "v1", "Namespace", f"dev-{name}") is None
    assert kube.list_objects(api, RBAC, "RoleBinding", labels={metadata.USER: name}) == []


def test_list_shows_users_soonest_expiry_first(
    cluster: ControlPlane, alice: Onboarded, bob: Onboarded
) -> None:
    rows = json.loads(kbp(cluster, "user", "list", "--expiring-within", "60d", "-o", "json").stdout)["items"]
    mine = {r["name"]: r for r in rows if r["name"] in (alice.name, bob.name)}
    assert mine[alice.name]["namespace"] == alice.namespace
    assert mine[alice.name]["team"] == "payments"
    assert mine[alice.name]["groups"] == ["dev", "qa"]
    assert mine[alice.name]["certExpires"] == alice.result["certExpires"]
    assert mine[alice.name]["expiring"]  # a 30-day certificate is within 60 days
    expiries = [r["certExpires"] for r in rows if r["kind"] == "certificate"]
    assert expiries == sorted(expiries)
    table = kbp(cluster, "user", "list").stdout
    assert alice.name in table
    assert "CERT EXPIRES" in table


def test_remove_ends_access_and_says_the_certificate_cannot_be_revoked(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    dave = onboard(cluster, tmp_path, unique("dave"))
    with dave.client() as user:
        kube.list_objects(user, "v1", "Pod", dave.namespace)  # works while bound
    removed = kbp(cluster, "user", "remove", dave.name, "-o", "json")
    assert json.loads(removed.stdout)["removedBindings"] == [f"{dave.namespace}/kbp-user-{dave.name}"]
    assert "cannot be revoked" in removed.stderr
    assert dave.result["certExpires"] in removed.stderr
    with dave.client() as user, pytest.raises(kube.ForbiddenError):
        kube.list_objects(user, "v1", "Pod", dave.namespace)  # the very next request
    assert kube.find(api, "v1", "Namespace", dave.namespace) is not None  # kept without the flag

    again = kbp(cluster, "user", "remove", dave.name, "--delete-namespace", "-o", "json")
    assert json.loads(again.stdout)["deletedNamespaces"] == [dave.namespace]
    gone = kube.find(api, "v1", "Namespace", dave.namespace)
    assert gone is None or gone["metadata"].get("deletionTimestamp")


def test_a_file_at_out_that_is_not_the_users_kubeconfig_is_kept_and_refused(
    listener: socket.socket, tmp_path: Path
) -> None:
    config = _kubeconfig_at(tmp_path / "trap.kubeconfig", listener.getsockname()[1])
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    cmd = [sys.executable, "-m", "kbp", "user", "add", "erin", "--team", "t", "--out", str(notes)]
    result = subprocess.run(
        [*cmd, "--kubeconfig", str(config)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert f"{notes}: exists and is not a kubeconfig kbp wrote for user" in result.stderr
    assert notes.read_text() == "my notes\n"
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_a_namespace_someone_else_owns_is_refused_before_any_csr(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    name = unique("frank")
    kube.apply(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"dev-{name}"}})
    out = tmp_path / "frank.kubeconfig"
    result = kbp(cluster, "user", "add", name, "--team", "payments", "--out", str(out), check=False)
    assert result.returncode == 1
    assert f'namespace "dev-{name}": exists and is not {name}\'s' in result.stderr
    assert _csrs(api, name) == []
    assert not out.exists()
    assert kube.list_objects(api, RBAC, "RoleBinding", f"dev-{name}") == []
    kube.delete(api, "v1", "Namespace", f"dev-{name}")


def test_without_a_ca_in_the_admin_kubeconfig_the_published_one_is_used(
    cluster: ControlPlane, tmp_path: Path
) -> None:
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    for entry in admin["clusters"]:
        entry["cluster"].pop("certificate-authority-data", None)
        entry["cluster"].pop("certificate-authority", None)
        entry["cluster"]["insecure-skip-tls-verify"] = True
    insecure = tmp_path / "insecure-admin.kubeconfig"
    kubeconfig.write_private(insecure, yaml.safe_dump(admin).encode())
    name = unique("grace")
    out = tmp_path / "grace.kubeconfig"
    kbp(cluster, "user", "add", name, "--team", "payments", "--out", str(out), "--kubeconfig", str(insecure))
    creds = kubeconfig.parse(out.read_bytes())
    assert creds is not None
    assert creds.ca_pem.strip() == cluster.ca.read_bytes().strip()
    with kube.connect(out) as user:
        assert kube.whoami(user)["username"] == name


def test_user_add_adopts_the_owners_kbp_namespace_and_keeps_its_ttl(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    name = unique("heidi")
    ns = f"dev-{name}"
    create = ["ns", "create", ns, "--owner", name, "--team", "payments", "--purpose", "spike", "--ttl", "7d"]
    kbp(cluster, *create)
    heidi = onboard(cluster, tmp_path, name)
    assert heidi.namespace == ns
    labels = kube.get(api, "v1", "Namespace", ns)["metadata"]["labels"]
    assert labels[metadata.USER] == name  # adopted: `user remove --delete-namespace` finds it

    kbp(cluster, "ns", "extend", ns, "--ttl", "14d")
    extended = kube.get(api, "v1", "Namespace", ns)["metadata"]["annotations"]
    again = _add_again(cluster, heidi)
    assert again["changed"] == []
    assert kube.get(api, "v1", "Namespace", ns)["metadata"]["annotations"] == extended  # not reset to forever
    assert metadata.EXPIRES in extended
    kbp(cluster, "user", "remove", name, "--delete-namespace")


def _limited_admin(cluster: ControlPlane, api: kube.KubeClient, directory: Path) -> Path:
    """A kubeconfig for someone who may run the CSR part of onboarding but not create namespaces."""
    who = unique("onboarder")
    rules = [
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests"],
            "verbs": ["create", "get", "list", "delete"],
        },
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests/approval"],
            "verbs": ["update"],
        },
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["signers"],
            "resourceNames": ["kubernetes.io/kube-apiserver-client"],
            "verbs": ["approve"],
        },
        {"apiGroups": [""], "resources": ["namespaces", "resourcequotas", "limitranges"], "verbs": ["get"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get"]},
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["get"]},
    ]
    kube.apply(api, {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": who}, "rules": rules})
    kube.apply(
        api,
        {
            "apiVersion": RBAC,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": who},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": who},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": who}],
        },
    )
    ca = pki.KeyPair(cluster.ca.read_bytes(), cluster.layout.key("ca").read_bytes())
    pair = pki.issue(ca, pki.Identity(who))
    doc = kubeconfigs.embedded(cluster.server, cluster.ca.read_bytes(), pair.cert_pem, pair.key_pem, who)
    return kubeconfigs.write(directory / f"{who}.kubeconfig", doc)


def test_a_failure_after_the_certificate_is_issued_rolls_back_and_writes_nothing(
    cluster: ControlPlane, tmp_path: Path, api: kube.KubeClient
) -> None:
    limited = _limited_admin(cluster, api, tmp_path)
    name = unique("ivan")
    out = tmp_path / f"{name}.kubeconfig"
    result = kbp(
        cluster,
        "user",
        "add",
        name,
        "--team",
        "payments",
        "--out",
        str(out),
        "--kubeconfig",
        str(limited),
        check=False,
    )
    assert result.returncode == 1
    assert 'cannot patch resource "namespaces"' in result.stderr  # server-side apply is a PATCH
    assert not out.exists()
    assert _csrs(api, name) == []  # the signed request was deleted again
    assert kube.find(api, "v1", "Namespace", f"dev-{name}") is None
