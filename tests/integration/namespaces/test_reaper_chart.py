"""deploy/reaper on the control plane: the CronJob, and what its ServiceAccount may and may not do."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kbp import kube, metadata
from kbp.cluster import kubeconfigs
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from support.controlplane import ControlPlane
from support.namespaces import PAST, MakeNamespace, is_deleting, only, results, run_pass

CHART = Path(__file__).parents[3] / "deploy" / "reaper"
RELEASE = "kbp-reaper"  # also the ServiceAccount's name (the chart's full name)

pytestmark = pytest.mark.helm


# Test namespaces are `t<6 hex>-<suffix>` (conftest.prefix): the pattern protects `...-keep-...`.
PROTECTED_REGEX = "t[0-9a-f]{6}-keep-.*"


@dataclass(frozen=True)
class Installed:
    namespace: str
    kubeconfig: Path  # a TokenRequest token of the reaper's ServiceAccount
    protected_name: str  # in the chart's protectedNames


@pytest.fixture(scope="module")
def reaper(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    namespace = f"kbp-reaper-{secrets.token_hex(3)}"
    protected = f"shared-{secrets.token_hex(3)}"
    values = tmp_path_factory.mktemp("reaper-values") / "values.yaml"
    values.write_text(f"protectedNames: [{protected}]\nprotectedRegex: '{PROTECTED_REGEX}'\n")
    # The reaper's namespace is one kbp makes: Pod Security restricted, default-deny NetworkPolicies.
    with cluster.client() as admin:
        catalog.create(
            admin, NamespaceSpec(name=namespace, owner="platform", team="platform", purpose="the kbp reaper")
        )
    cluster.run(
        "helm", "install", RELEASE, str(CHART), "-n", namespace, "--set", "apply=true", "-f", str(values),
    )  # fmt: skip
    try:
        token = cluster.run(
            "kubectl", "create", "token", RELEASE, "-n", namespace, "--duration", "20m"
        ).stdout.strip()
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "local",
                    "cluster": {"server": cluster.server, "certificate-authority": str(cluster.ca)},
                }
            ],
            "users": [{"name": "reaper", "user": {"token": token}}],
            "contexts": [
                {"name": "reaper", "context": {"cluster": "local", "user": "reaper", "namespace": namespace}}
            ],
            "current-context": "reaper",
        }
        path = kubeconfigs.write(tmp_path_factory.mktemp("reaper") / "reaper.kubeconfig", document)
        yield Installed(namespace, path, protected)
    finally:
        cluster.run("helm", "uninstall", RELEASE, "-n", namespace, check=False)
        cluster.run("kubectl", "delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture
def as_reaper(reaper: Installed) -> Iterator[kube.KubeClient]:
    with kube.connect(reaper.kubeconfig) as client:
        yield client


def _policy_active(client: kube.KubeClient, unlabelled: str) -> bool | None:
    """True once the admission policy refuses a (server-side dry-run) delete; policies load asynchronously."""
    try:
        kube.delete(client, "v1", "Namespace", unlabelled, dry_run=True)
    except kube.ForbiddenError:
        return True
    return None


def test_the_cronjob_runs_hourly_one_at_a_time(api: kube.KubeClient, reaper: Installed) -> None:
    cronjob = kube.get(api, "batch/v1", "CronJob", RELEASE, reaper.namespace)
    spec = cronjob["spec"]
    assert spec["schedule"] == "0 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == RELEASE
    container = pod["containers"][0]
    assert container["args"][:3] == ["reap", "--once", "--apply"]
    assert f"--namespace={reaper.namespace}" in container["args"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_a_pass_starts_under_pod_security_restricted(
    cluster: ControlPlane, api: kube.KubeClient, reaper: Installed
) -> None:
    labels = kube.get(api, "v1", "Namespace", reaper.namespace)["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    job = f"pass-{secrets.token_hex(3)}"
    cluster.run("kubectl", "create", "job", job, "--from", f"cronjob/{RELEASE}", "-n", reaper.namespace)

    def placed() -> dict[str, Any] | None:
        pods = kube.list_objects(api, "v1", "Pod", reaper.namespace, labels={"job-name": job})
        return pods[0] if pods and pods[0]["spec"].get("nodeName") else None

    try:
        pod = kube.wait_for(placed, timeout=60, what=f"the pod of job {job} on a node")
    except kube.WaitTimeoutError as exc:
        events = kube.list_objects(api, "v1", "Event", reaper.namespace)
        raise AssertionError([f"{e.get('reason')}: {e.get('message')}" for e in events]) from exc
    assert pod["spec"]["serviceAccountName"] == RELEASE
    events = kube.list_objects(api, "v1", "Event", reaper.namespace)
    assert [e["message"] for e in events if e.get("reason") == "FailedCreate"] == []
    cluster.run("kubectl", "delete", "job", job, "-n", reaper.namespace, "--wait=false")


def test_the_service_account_cannot_read_secrets(as_reaper: kube.KubeClient) -> None:
    with pytest.raises(kube.ForbiddenError):
        kube.list_objects(as_reaper, "v1", "Secret", "kube-system")
    with pytest.raises(kube.ForbiddenError):
        kube.list_objects(as_reaper, "v1", "ConfigMap", "kube-system")


def test_the_service_account_cannot_delete_or_relabel_what_kbp_did_not_label(
    as_reaper: kube.KubeClient, api: kube.KubeClient, make_namespace: MakeNamespace
) -> None:
    unlabelled = make_namespace("not-kbps", expires=PAST, managed=False)
    kube.wait_for(lambda: _policy_active(as_reaper, unlabelled), timeout=30, what="the admission policy")
    with pytest.raises(kube.ForbiddenError) as denied:
        kube.delete(as_reaper, "v1", "Namespace", unlabelled)
    assert "managed-by=kbp" in str(denied.value)
    with pytest.raises(kube.ForbiddenError):
        kube.delete(as_reaper, "v1", "Namespace", "kube-public")
    labelled = make_namespace("kbps", ttl="1d")
    with pytest.raises(kube.ForbiddenError):  # it may not take the label away either
        kube.patch(
            as_reaper, "v1", "Namespace", labelled, {"metadata": {"labels": {metadata.MANAGED_BY: None}}}
        )
    with pytest.raises(kube.ForbiddenError):  # nor read a single namespace: list is all it needs
        kube.get(as_reaper, "v1", "Namespace", labelled)
    assert not is_deleting(api, unlabelled)


def test_the_service_account_cannot_delete_protected_names_or_patterns_even_if_labelled(
    as_reaper: kube.KubeClient, api: kube.KubeClient, make_namespace: MakeNamespace, reaper: Installed
) -> None:
    by_pattern = make_namespace("keep-me", expires=PAST)
    spec = NamespaceSpec(name=reaper.protected_name, owner="tester", team="qa", purpose="test", expires=PAST)
    kube.create(api, namespace_manifest(spec, version=catalog.pod_security_version(api)))
    try:
        kube.wait_for(
            lambda: _policy_active(as_reaper, reaper.protected_name), timeout=30, what="the admission policy"
        )
        with pytest.raises(kube.ForbiddenError) as named:
            kube.delete(as_reaper, "v1", "Namespace", reaper.protected_name)
        assert "protectedNames" in str(named.value)
        with pytest.raises(kube.ForbiddenError) as patterned:
            kube.delete(as_reaper, "v1", "Namespace", by_pattern)
        assert "protectedRegex" in str(patterned.value)
        assert not is_deleting(api, by_pattern)
        assert not is_deleting(api, reaper.protected_name)
    finally:
        kube.delete(api, "v1", "Namespace", reaper.protected_name)


def test_the_reaper_works_with_exactly_these_rights(
    as_reaper: kube.KubeClient,
    api: kube.KubeClient,
    prefix: str,
    make_namespace: MakeNamespace,
    reaper: Installed,
) -> None:
    name = make_namespace("sa-reaps", expires=PAST)
    policy = only(prefix, own_namespace=reaper.namespace, warn_before=timedelta(hours=1))
    now = datetime.now(UTC)
    assert results(run_pass(as_reaper, policy, apply=True, at=now), prefix) == {
        name: "warned"
    }  # patch + Event
    assert kube.list_objects(api, "v1", "Event", name)[0]["reason"] == "ReapScheduled"
    later = run_pass(as_reaper, policy, apply=True, at=now + timedelta(hours=2))
    assert results(later, prefix) == {name: "deleted"}
    assert is_deleting(api, name)


def test_the_rendered_chart_is_lint_clean(cluster: ControlPlane) -> None:
    for values in ([], ["--set", "apply=true", "--set", "protectedNames={shared}"]):
        rendered = cluster.run("helm", "template", RELEASE, str(CHART), "-n", "kbp-system", *values).stdout
        result = subprocess.run(
            [sys.executable, "-m", "kbp", "lint", "-"],
            input=rendered,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 findings" in result.stdout + result.stderr
    assert "concurrencyPolicy: Forbid" in rendered


def test_the_chart_lints_strict_and_its_schema_refuses_bad_values(cluster: ControlPlane) -> None:
    cluster.run("helm", "lint", "--strict", str(CHART))
    for bad in ("warnBefore=1 hour", "maxDeletions=-1", "image.tag=latest", "apply=maybe"):
        result = cluster.run("helm", "template", RELEASE, str(CHART), "--set", bad, check=False)
        assert result.returncode != 0, bad
        assert "values don't meet the specifications of the schema" in result.stderr, result.stderr
