"""What an onboarded developer can and cannot do, tested with the kubeconfig `kbp user add` wrote."""

from __future__ import annotations

import stat
from typing import Any

import pytest
import yaml

from kbp import kube, metadata
from kbp.users import quotas
from support import escapes
from support.onboarding import TIMEOUT, Onboarded
from support.podsecurity import restricted


def _deployment(namespace: str) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "registry.example/app:1.0", "securityContext": restricted()}
                    ]
                },
            },
        },
    }


def _pod(namespace: str, name: str, resources: dict[str, Any] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "app",
        "image": "registry.example/app:1.0",
        "securityContext": restricted(),
    }
    if resources is not None:
        container["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [container]},
    }


def test_kubeconfig_is_private_complete_and_authenticates_as_the_user(alice: Onboarded) -> None:
    assert stat.S_IMODE(alice.kubeconfig.stat().st_mode) == 0o600
    doc = yaml.safe_load(alice.kubeconfig.read_bytes())
    (context,) = doc["contexts"]
    assert context["context"]["namespace"] == alice.namespace == f"dev-{alice.name}"
    assert "certificate-authority-data" in doc["clusters"][0]["cluster"]
    with alice.client() as user:
        me = kube.whoami(user)
    assert me["username"] == alice.name
    assert {"dev", "qa", "system:authenticated"} <= set(me["groups"])


def test_namespace_carries_owner_team_and_purpose(alice: Onboarded, api: kube.KubeClient) -> None:
    ns = kube.get(api, "v1", "Namespace", alice.namespace)
    assert ns["metadata"]["labels"][metadata.OWNER] == alice.name
    assert ns["metadata"]["labels"][metadata.TEAM] == "payments"
    assert ns["metadata"]["annotations"][metadata.PURPOSE] == "development"
    bindings = kube.list_objects(api, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding")
    assert not [b for b in bindings if any(s.get("name") == alice.name for s in b.get("subjects") or [])]


def test_user_creates_a_deployment_whose_pods_get_the_limitrange_defaults(alice: Onboarded) -> None:
    with alice.client() as user:
        kube.apply(user, _deployment(alice.namespace))

        def pod() -> dict[str, Any] | None:
            pods = kube.list_objects(user, "v1", "Pod", alice.namespace, labels={"app": "web"})
            return pods[0] if pods else None

        created = kube.wait_for(pod, timeout=TIMEOUT, what="the Deployment's pod")
    small = quotas.profile("small")
    assert created["spec"]["containers"][0]["resources"] == {
        "limits": {
            "cpu": small.default_cpu,
            "memory": small.default_memory,
            "ephemeral-storage": small.default_ephemeral,
        },
        "requests": {
            "cpu": small.default_cpu_request,
            "memory": small.default_memory_request,
            "ephemeral-storage": small.default_ephemeral_request,
        },
    }


def test_pod_without_requests_is_admitted_and_defaulted(alice: Onboarded) -> None:
    with alice.client() as user:
        pod = kube.create(user, _pod(alice.namespace, "bare"))
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "64Mi"}


def test_quota_rejects_an_over_quota_pod(alice: Onboarded) -> None:
    big = {"requests": {"cpu": "3", "memory": "1Gi"}, "limits": {"cpu": "3", "memory": "1Gi"}}
    with alice.client() as user, pytest.raises(kube.ForbiddenError, match="exceeded quota"):
        kube.create(user, _pod(alice.namespace, "too-big", big))


def test_namespace_has_exactly_one_limitrange(alice: Onboarded, api: kube.KubeClient) -> None:
    ranges = kube.list_objects(api, "v1", "LimitRange", alice.namespace)
    assert [r["metadata"]["name"] for r in ranges] == [quotas.LIMITS_NAME]


@pytest.mark.parametrize("action", escapes.ACTIONS)
def test_user_is_forbidden(alice: Onboarded, bob: Onboarded, action: str) -> None:
    with alice.client() as user, pytest.raises(kube.ForbiddenError) as denied:
        escapes.forbidden_actions(alice.namespace, alice.name, bob.namespace)[action](user)
    assert denied.value.status == 403
    assert f'User "{alice.name}"' in str(denied.value)
