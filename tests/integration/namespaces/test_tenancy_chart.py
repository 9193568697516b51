"""deploy/tenancy on the control plane: who may change a kbp namespace's Pod Security labels and
kbp's NetworkPolicies in it. Installed for this module only; every check is a real API request."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube, metadata
from kbp.namespaces import isolation
from support.controlplane import ControlPlane
from support.namespaces import MakeNamespace
from support.onboarding import Onboarded, onboard, unique

CHART = Path(__file__).parents[3] / "deploy" / "tenancy"
RELEASE = "kbp-tenancy"
ENFORCE = f"{isolation.PSA_PREFIX}/enforce"
VERSION = f"{isolation.PSA_PREFIX}/enforce-version"

pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def cluster(private_cluster: ControlPlane) -> ControlPlane:
    """Not the shared plane: the policies bind every kbp namespace, so tests running beside this
    module (an admin making a kbp namespace without Pod Security labels) would be refused."""
    return private_cluster


@pytest.fixture(scope="module")
def exempt() -> str:
    """The one name the platform exempts (baseline allowed) in this module's install."""
    return f"t{secrets.token_hex(3)}-legacy"


@pytest.fixture(scope="module")
def lead(cluster: ControlPlane) -> Iterator[str]:
    """A user RBAC lets edit namespaces and NetworkPolicies anywhere (a team lead, a CI robot):
    what stops them is the admission policy. Tests act as them through impersonation."""
    name = unique("lead")
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "patch", "update"]},
            {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": ["*"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": name}],
    }
    with cluster.client() as admin:
        kube.apply(admin, role)
        kube.apply(admin, binding)
        try:
            yield name
        finally:
            kube.delete(admin, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", name)
            kube.delete(admin, "rbac.authorization.k8s.io/v1", "ClusterRole", name)


@pytest.fixture(scope="module")
def guard(cluster: ControlPlane, exempt: str) -> Iterator[None]:
    namespace = f"kbp-tenancy-{secrets.token_hex(3)}"
    sets = ["--set", f"baselineNamespaces={{{exempt}}}"]
    cluster.run("helm", "install", RELEASE, str(CHART), "-n", namespace, "--create-namespace", *sets)
    try:
        with cluster.client() as admin:
            kube.wait_for(lambda: _active(admin), timeout=30, what="the tenancy admission policies")
        yield
    finally:
        cluster.run("helm", "uninstall", RELEASE, "-n", namespace, "--wait", check=False)
        cluster.run("kubectl", "delete", "namespace", namespace, "--wait=false", check=False)


def _active(admin: kube.KubeClient) -> bool | None:
    """True once a kbp namespace without Pod Security is refused (a dry run); policies load asynchronously."""
    probe = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": f"probe-{secrets.token_hex(3)}", "labels": metadata.managed_selector()},
    }
    try:
        kube.create(admin, probe, dry_run=True)
    except kube.ForbiddenError as exc:
        if "pod-security.kubernetes.io/enforce" not in str(exc):
            raise
        return True
    return None


def _kubectl_as(cluster: ControlPlane, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cluster.run("kubectl", "--as", user, *args, check=False)


def _labels(api: kube.KubeClient, name: str) -> dict[str, str]:
    labels: dict[str, str] = kube.get(api, "v1", "Namespace", name)["metadata"]["labels"]
    return labels


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param([f"{ENFORCE}=privileged"], "Pod Security must be restricted", id="enforce-privileged"),
        pytest.param([f"{ENFORCE}=baseline"], "Pod Security must be restricted", id="enforce-baseline"),
        pytest.param(
            [f"{isolation.PSA_PREFIX}/audit=privileged"], "must be restricted", id="audit-privileged"
        ),
        pytest.param([f"{ENFORCE}-"], "may not be removed", id="remove-enforce"),
        pytest.param([f"{VERSION}=latest"], "never latest", id="version-latest"),
        pytest.param([f"{VERSION}=v1.20"], "never down", id="version-older"),
        pytest.param([f"{metadata.MANAGED_BY}-"], "keeps app.kubernetes.io/managed-by=kbp", id="unmanage"),
    ],
)
def test_someone_rbac_lets_edit_namespaces_cannot_loosen_a_kbp_namespace(
    cluster: ControlPlane,
    api: kube.KubeClient,
    guard: None,
    lead: str,
    make_namespace: MakeNamespace,
    change: list[str],
    message: str,
) -> None:
    name = make_namespace("psa", ttl="1h")
    before = _labels(api, name)
    result = _kubectl_as(cluster, lead, "label", "namespace", name, *change, "--overwrite")
    assert result.returncode != 0
    assert "denied request" in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    assert _labels(api, name) == before


def test_a_newer_version_and_unrelated_changes_still_pass(
    cluster: ControlPlane, api: kube.KubeClient, guard: None, lead: str, make_namespace: MakeNamespace
) -> None:
    name = make_namespace("psa-ok", ttl="1h")
    major, minor = kube.server_version(api)
    newer = f"v{major}.{minor + 1}"
    result = _kubectl_as(
        cluster, lead, "label", "namespace", name, f"{VERSION}={newer}", "team=x", "--overwrite"
    )
    assert result.returncode == 0, result.stderr
    assert _labels(api, name)[VERSION] == newer


def test_not_even_an_admin_sets_baseline_outside_the_exemptions(
    api: kube.KubeClient, guard: None, make_namespace: MakeNamespace
) -> None:
    name = make_namespace("admin", ttl="1h")
    with pytest.raises(kube.ForbiddenError, match="deploy/tenancy baselineNamespaces"):
        kube.patch(api, "v1", "Namespace", name, {"metadata": {"labels": {ENFORCE: "baseline"}}})
    assert _labels(api, name)[ENFORCE] == "restricted"


def _ns_create(cluster: ControlPlane, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["ns", "create", name, "--owner", "ops", "--team", "ops", "--purpose", "legacy", "--ttl", "1h"]
    return subprocess.run(
        [sys.executable, "-m", "kbp", *args, *extra, "--kubeconfig", str(cluster.kubeconfig), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_exempt_namespace_runs_baseline_and_no_other_can(
    cluster: ControlPlane, api: kube.KubeClient, guard: None, exempt: str, prefix: str
) -> None:
    try:
        done = _ns_create(cluster, exempt, "--pod-security", "baseline")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["name"] == exempt
        labels = _labels(api, exempt)
        assert {labels[f"{isolation.PSA_PREFIX}/{m}"] for m in isolation.MODES} == {"baseline"}
        other = prefix + "not-exempt"
        refused = _ns_create(cluster, other, "--pod-security", "baseline")
        assert refused.returncode != 0
        assert "Pod Security must be restricted" in refused.stderr, refused.stderr
        assert kube.find(api, "v1", "Namespace", other) is None
    finally:
        cluster.run(
            "kubectl", "delete", "namespace", exempt, "--wait=false", "--ignore-not-found", check=False
        )


@pytest.fixture(scope="module")
def tenant(cluster: ControlPlane, guard: None, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    return onboard(cluster, tmp_path_factory.mktemp("tenant"), unique("tenant"))


def test_a_tenant_cannot_delete_or_change_kbps_network_policies(
    tenant: Onboarded, api: kube.KubeClient
) -> None:
    with tenant.client() as user:
        for name in (isolation.DENY_NAME, isolation.ALLOW_NAME):
            with pytest.raises(kube.ForbiddenError, match="only the platform may change or delete it"):
                kube.delete(user, "networking.k8s.io/v1", "NetworkPolicy", name, tenant.namespace)
        with pytest.raises(kube.ForbiddenError, match="only the platform"):
            kube.patch(
                user,
                "networking.k8s.io/v1",
                "NetworkPolicy",
                isolation.DENY_NAME,
                {"spec": {"policyTypes": ["Ingress"]}},
                namespace=tenant.namespace,
            )
        # Their own policies are theirs to write and delete.
        own = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "mine", "namespace": tenant.namespace},
            "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
        }
        kube.create(user, own)
        kube.delete(user, "networking.k8s.io/v1", "NetworkPolicy", "mine", tenant.namespace)
    policies = kube.list_objects(api, "networking.k8s.io/v1", "NetworkPolicy", tenant.namespace)
    assert sorted(p["metadata"]["name"] for p in policies) == [isolation.ALLOW_NAME, isolation.DENY_NAME]


def test_a_guarded_namespace_still_deletes(
    cluster: ControlPlane, api: kube.KubeClient, guard: None, prefix: str
) -> None:
    """The namespace controller empties a namespace as it deletes it, kbp's NetworkPolicies included."""
    name = prefix + "goes"
    done = _ns_create(cluster, name)
    assert done.returncode == 0, done.stderr
    assert kube.list_objects(api, "networking.k8s.io/v1", "NetworkPolicy", name)
    kube.delete(api, "v1", "Namespace", name)
    kube.wait_for(
        lambda: True if kube.find(api, "v1", "Namespace", name) is None else None,
        timeout=60,
        what=f"namespace {name} to be deleted",
    )
